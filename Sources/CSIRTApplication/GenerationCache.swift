import CSIRTStore
import Foundation
import GRDB

/// Where the store is: the audit log position that every change records in its own transaction
/// (`Setting.auditPosition`). Two reads that see the same generation see the same store.
public struct StoreGeneration: Hashable, Sendable {
    let position: String
}

/// Values that stay right while the store does not change: each is tagged with the generation read
/// *before* it was computed, so a value is never older than its tag, and a request that reads the
/// same generation may use it. A server answers repeated reads (a dashboard polling a list, the
/// token on every request) from memory; the first change makes every entry a miss.
/// Bounded: when full, entries of older generations go first, then everything.
public final class GenerationCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Key: (generation: StoreGeneration, value: Value)] = [:]
    private let limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    public func value(_ key: Key, at generation: StoreGeneration) -> Value? {
        lock.withLock {
            guard let entry = entries[key], entry.generation == generation else { return nil }
            return entry.value
        }
    }

    public func store(_ value: Value, for key: Key, at generation: StoreGeneration) {
        lock.withLock {
            if entries.count >= limit && entries[key] == nil {
                entries = entries.filter { $0.value.generation == generation }
                if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = (generation, value)
        }
    }
}

extension Application {
    /// The store's generation (see `StoreGeneration`): one indexed lookup.
    public func generation() throws(CSIRTError) -> StoreGeneration {
        try mapErrors {
            let position: String?? = try database.lookup("SELECT value FROM setting WHERE name = ?", [Setting.auditPosition]) { $0.text(0) }
            return StoreGeneration(position: (position ?? nil) ?? "")
        }
    }
}
