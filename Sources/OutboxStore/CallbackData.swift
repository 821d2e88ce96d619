/// The `biz_opaque_callback_data` the daemon attaches to each request: `wao:INSTANCE:ID`. The
/// instance id makes sure a status for a message of another database is never matched to one
/// of ours. Shared by every store.
public enum CallbackData {
    public static func text(instanceID: String, messageID id: Int64) -> String { "wao:\(instanceID):\(id)" }

    /// The message id inside `text` when it belongs to `instanceID`, else nil.
    public static func messageID(_ text: String, instanceID: String) -> Int64? {
        let parts = text.split(separator: ":")
        guard parts.count == 3, parts[0] == "wao", parts[1] == instanceID else { return nil }
        return Int64(parts[2])
    }
}
