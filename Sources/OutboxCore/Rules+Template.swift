extension Rules {
    /// Template messages: name, language and the parameters of each component (§1.5).
    func template(_ body: JSONValue) throws(ValidationError) {
        guard let name = try string(body["name"], "name", max: 512, required: true) else { return }
        if !name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) {
            throw fail("name", "'\(name)' is not a template name: lowercase letters, digits and _ only")
        }
        let language = try object(body["language"], "language")
        try at("language").string(language["code"], "code", max: 20, required: true)
        if let policy = language["policy"], policy != .string("deterministic") {
            throw fail("language.policy", "must be \"deterministic\" when given")
        }
        guard let components = body["components"] else { return }
        let list = try array(components, "components", min: 0, max: 20)
        let others = list.count > 1
        for (i, component) in list.enumerated() {
            try at("components.\(i)").component(component, bodyLimit: others ? 1024 : 32768)
        }
    }

    func component(_ c: JSONValue) throws(ValidationError) { try component(c, bodyLimit: 1024) }

    private func component(_ c: JSONValue, bodyLimit: Int) throws(ValidationError) {
        guard c.objectValue != nil else { throw fail("", "must be an object, not \(c.typeName)") }
        guard let type = try string(c["type"], "type", max: 30, required: true) else { return }
        guard ["header", "body", "button", "footer", "carousel", "limited_time_offer", "tap_target_configuration"].contains(type) else {
            throw fail("type", "unknown component type '\(type)'; use header, body, button, carousel, limited_time_offer or tap_target_configuration")
        }
        if type == "carousel" { try carousel(c) }
        if type == "button" {
            guard let sub = try string(c["sub_type"], "sub_type", max: 30, required: true) else { return }
            guard ["quick_reply", "url", "copy_code", "flow", "catalog", "mpm", "otp", "voice_call"].contains(sub) else {
                throw fail("sub_type", "unknown button sub_type '\(sub)'")
            }
            guard let index = c["index"] else { throw fail("index", "is required: the button's position in the template") }
            let n: Int64? = switch index {
            case .int(let i): i
            case .string(let s): Int64(s)
            default: nil
            }
            guard let n, (0...9).contains(n) else { throw fail("index", "must be 0 to 9") }
        }
        guard let parameters = c["parameters"] else { return }
        let params = try array(parameters, "parameters", min: 0, max: 100)
        for (i, p) in params.enumerated() {
            try at("parameters.\(i)").parameter(p, textLimit: type == "header" ? 60 : (type == "body" ? bodyLimit : 2000))
        }
    }

    /// A carousel component: its cards, each with a `card_index` and its own components
    /// (header, body, buttons), validated like the template's. Meta counts 1 to 10 cards,
    /// and the number sent must equal the approved template's (else 132012).
    private func carousel(_ c: JSONValue) throws(ValidationError) {
        let cards = try array(c["cards"], "cards", min: 1, max: 10)
        var seen = Set<Int64>()
        for (i, card) in cards.enumerated() {
            let r = at("cards.\(i)")
            guard card.objectValue != nil else { throw r.fail("", "must be an object, not \(card.typeName)") }
            guard case .int(let index)? = card["card_index"], (0...9).contains(index) else { throw r.fail("card_index", "is required: 0 to 9") }
            guard seen.insert(index).inserted else { throw r.fail("card_index", "\(index) is used twice") }
            let components = try r.array(card["components"], "components", min: 1, max: 10)
            for (j, component) in components.enumerated() {
                if component["type"]?.stringValue == "carousel" { throw r.at("components.\(j)").fail("type", "a card cannot hold a carousel") }
                try r.at("components.\(j)").component(component)
            }
        }
    }

    /// One template parameter; the type decides which field carries the value.
    func parameter(_ p: JSONValue, textLimit: Int) throws(ValidationError) {
        guard p.objectValue != nil else { throw fail("", "must be an object, not \(p.typeName)") }
        guard let type = try string(p["type"], "type", max: 30, required: true) else { return }
        switch type {
        case "text":
            try string(p["text"], "text", max: textLimit, required: true)
            try string(p["parameter_name"], "parameter_name", max: 512, required: false)
        case "payload": try string(p["payload"], "payload", max: 256, required: true)
        case "coupon_code": try string(p["coupon_code"], "coupon_code", max: 20, required: true)
        case "currency":
            let cur = try object(p["currency"], "currency")
            try at("currency").string(cur["fallback_value"], "fallback_value", max: 1024, required: true)
            try at("currency").string(cur["code"], "code", max: 3, required: true)
            if cur["amount_1000"] == nil { throw fail("currency.amount_1000", "is required") }
        case "date_time":
            let dt = try object(p["date_time"], "date_time")
            try at("date_time").string(dt["fallback_value"], "fallback_value", max: 1024, required: true)
        case "image", "video", "document":
            try at(type).media(try object(p[type], type), caption: false, filename: type == "document")
        case "location": try at("location").location(try object(p["location"], "location"))
        case "action": _ = try object(p["action"], "action")
        case "limited_time_offer":
            // The offer's end (limited-time-offer templates); without it the template's own applies.
            let lto = try object(p["limited_time_offer"], "limited_time_offer")
            if let ms = lto["expiration_time_ms"] {
                guard case .int(let t) = ms, t >= 0 else { throw fail("limited_time_offer.expiration_time_ms", "must be a Unix time in milliseconds") }
            }
        case "product":
            // A single-product header (product cards, catalog templates).
            let product = try object(p["product"], "product")
            try at("product").string(product["product_retailer_id"], "product_retailer_id", max: 512, required: true)
            try at("product").string(product["catalog_id"], "catalog_id", max: 512, required: false)
        case "tap_target_configuration":
            let target = try object(p["tap_target_configuration"], "tap_target_configuration")
            try at("tap_target_configuration").string(target["title"], "title", max: 1024, required: false)
            if let url = try at("tap_target_configuration").string(target["url"], "url", max: 2000, required: true),
               !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
                throw fail("tap_target_configuration.url", "must be an http(s) URL")
            }
        default:
            throw fail("type", "unknown parameter type '\(type)'")
        }
    }
}
