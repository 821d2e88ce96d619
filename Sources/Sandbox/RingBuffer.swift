/// A fixed-capacity log that forgets its oldest element when full; keeps memory bounded
/// during benchmarks that send millions of messages.
struct RingBuffer<Element> {
    /// Most elements kept; 0 keeps none.
    let capacity: Int
    private var storage: [Element] = []
    /// Index of the oldest element once the storage is full.
    private var head = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { storage.count }

    mutating func append(_ element: Element) {
        guard capacity > 0 else { return }
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[head] = element
            head = (head + 1) % capacity
        }
    }

    /// The elements, oldest first.
    var elements: [Element] {
        head == 0 ? storage : Array(storage[head...] + storage[..<head])
    }

    mutating func removeAll() {
        storage.removeAll()
        head = 0
    }
}

extension RingBuffer: Sendable where Element: Sendable {}
