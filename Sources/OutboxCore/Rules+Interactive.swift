extension Rules {
    /// Interactive messages: reply buttons, lists, call-to-action URLs, flows, carousels, call
    /// buttons and contact-info requests (§1.6); the catalog kinds are passed through.
    func interactive(_ body: JSONValue) throws(ValidationError) {
        guard let type = try string(body["type"], "type", max: 30, required: true) else { return }
        let action = try object(body["action"], "action")
        let act = at("action")
        let bodyLimit = type == "list" ? 4096 : 1024
        // A single product message shows the product itself: its body is optional.
        if !["location_request_message", "product"].contains(type) || body["body"] != nil {
            let b = try object(body["body"], "body")
            try at("body").string(b["text"], "text", max: bodyLimit, required: true)
        }
        if let footer = body["footer"] {
            try at("footer").string(footer["text"], "text", max: 60, required: true)
        }
        if let header = body["header"] {
            let h = at("header")
            guard let ht = try h.string(header["type"], "type", max: 20, required: true) else { return }
            switch ht {
            case "text": try h.string(header["text"], "text", max: 60, required: true)
            case "image", "video", "document":
                if type == "list" { throw h.fail("type", "a list message's header can only be text") }
                try h.at(ht).media(try h.object(header[ht], ht), caption: false, filename: ht == "document")
            default: throw h.fail("type", "unknown header type '\(ht)'; use text, image, video or document")
            }
        }
        switch type {
        case "button":
            let buttons = try act.array(action["buttons"], "buttons", min: 1, max: 3)
            var titles = Set<String>()
            for (i, button) in buttons.enumerated() {
                let b = act.at("buttons.\(i)")
                let reply = try b.object(button["reply"], "reply")
                try b.at("reply").string(reply["id"], "id", max: 256, required: true)
                if let title = try b.at("reply").string(reply["title"], "title", max: 20, required: true),
                   !titles.insert(title).inserted {
                    throw b.fail("reply.title", "'\(title)' is used twice; button titles must be unique")
                }
            }
        case "list":
            try act.string(action["button"], "button", max: 20, required: true)
            let sections = try act.array(action["sections"], "sections", min: 1, max: 10)
            var rows = 0
            for (i, section) in sections.enumerated() {
                let s = act.at("sections.\(i)")
                try s.string(section["title"], "title", max: 24, required: sections.count > 1)
                let list = try s.array(section["rows"], "rows", min: 1, max: 10)
                rows += list.count
                if rows > 10 { throw s.fail("rows", "a list has at most 10 rows in all sections together") }
                for (j, row) in list.enumerated() {
                    let r = s.at("rows.\(j)")
                    try r.string(row["id"], "id", max: 200, required: true)
                    try r.string(row["title"], "title", max: 24, required: true)
                    try r.string(row["description"], "description", max: 72, required: false)
                }
            }
        case "cta_url":
            let params = try act.object(action["parameters"], "parameters")
            try act.at("parameters").string(params["display_text"], "display_text", max: 20, required: true)
            if let url = try act.at("parameters").string(params["url"], "url", max: 2000, required: true),
               !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
                throw act.fail("parameters.url", "must be an http(s) URL")
            }
        case "flow":
            let params = try act.object(action["parameters"], "parameters")
            let p = act.at("parameters")
            try p.string(params["flow_token"], "flow_token", max: 2000, required: false)
            try p.string(params["flow_cta"], "flow_cta", max: 30, required: true)
            if (params["flow_id"] == nil) == (params["flow_name"] == nil) {
                throw p.fail("flow_id", "give exactly one of flow_id or flow_name")
            }
        case "carousel":
            try act.carouselCards(action)
        case "voice_call":
            // A WhatsApp call button; `parameters` (display_text, ttl_minutes) are optional.
            if let params = action["parameters"] {
                try act.at("parameters").string(try act.object(params, "parameters")["display_text"], "display_text", max: 20, required: false)
            }
        case "request_contact_info", "product", "product_list", "catalog_message", "location_request_message", "address_message",
             "call_permission_request":
            break
        default:
            throw fail("type", "unknown interactive type '\(type)'; use button, list, cta_url, flow, carousel, voice_call, request_contact_info or a catalog type")
        }
    }

    /// An interactive carousel's `action.cards`: 2 to 10 (360dialog's media carousel; a
    /// product carousel has up to 10), each with a unique `card_index`, and either a media
    /// header with a `cta_url` or quick-reply action, or a product (`action.product_retailer_id`).
    func carouselCards(_ action: JSONValue) throws(ValidationError) {
        let cards = try array(action["cards"], "cards", min: 2, max: 10)
        var seen = Set<Int64>()
        for (i, card) in cards.enumerated() {
            let r = at("cards.\(i)")
            guard card.objectValue != nil else { throw r.fail("", "must be an object, not \(card.typeName)") }
            guard case .int(let index)? = card["card_index"], (0...9).contains(index) else { throw r.fail("card_index", "is required: 0 to 9") }
            guard seen.insert(index).inserted else { throw r.fail("card_index", "\(index) is used twice") }
            if let header = card["header"] {
                guard let ht = try r.at("header").string(header["type"], "type", max: 20, required: true) else { continue }
                guard ht == "image" || ht == "video" else { throw r.at("header").fail("type", "a card's header is an image or a video") }
                try r.at("header").at(ht).media(try r.at("header").object(header[ht], ht), caption: false, filename: false)
            }
            if let b = card["body"] { try r.at("body").string(b["text"], "text", max: 160, required: true) }
            let cardAction = try r.object(card["action"], "action")
            if cardAction["product_retailer_id"] == nil, card["header"] == nil {
                throw r.fail("header", "is required for a media card (a product card names action.product_retailer_id)")
            }
        }
    }

    /// Contacts messages: an array of contact cards, each with a formatted name.
    func contacts(_ body: JSONValue) throws(ValidationError) {
        guard let cards = body.arrayValue else { throw fail("", "must be an array of contacts, not \(body.typeName)") }
        if cards.isEmpty { throw fail("", "needs at least one contact") }
        if cards.count > 257 { throw fail("", "has \(cards.count) contacts; the limit is 257") }
        for (i, card) in cards.enumerated() {
            let c = Rules(path: "\(path).\(i)")
            let name = try c.object(card["name"], "name")
            try c.at("name").string(name["formatted_name"], "formatted_name", max: 1000, required: true)
        }
    }
}
