import AuditLog
import CSIRTCrypto
import CSIRTStore
import Foundation
import GRDB

/// Group commit. Changes that arrive while another is being written wait, then go together: one
/// database transaction (each change in its own savepoint, so one that fails leaves the others),
/// one audit-log append of all their entries sealed by one checkpoint, one commit, one pair of
/// fsyncs. Each change still writes exactly one audit entry; a lone change (every CLI command)
/// is a batch of one, as before. Many API clients writing at once then cost little more than one.
final class WriteQueue: @unchecked Sendable {
    /// One change waiting to be written. `work` makes the change and returns its audit entry.
    final class Job {
        /// Dropped once the batch is written: it captures the submitter's non-escaping closure
        /// (`withoutActuallyEscaping`), which must not outlive the submitter's call.
        var work: ((Database) throws -> AuditEntryDraft)?
        let extraSigners: [PrivateKey]
        var result: Result<AppendReceipt, CSIRTError>?
        /// Set when this job's thread is to write the next batch.
        var promoted = false
        let wake = DispatchSemaphore(value: 0)

        init(work: @escaping (Database) throws -> AuditEntryDraft, extraSigners: [PrivateKey]) {
            self.work = work
            self.extraSigners = extraSigners
        }
    }

    private let lock = NSLock()
    private var pending: [Job] = []
    private var writing = false

    /// Runs `job` (with whatever else is waiting) and returns once it is written or has failed.
    /// The thread that finds nobody writing writes a batch, then hands over to the next waiter.
    func run(_ job: Job, write: ([Job]) -> Void) {
        lock.lock()
        pending.append(job)
        if writing {
            lock.unlock()
            job.wake.wait()
            guard job.promoted else { return }
            lock.lock()
        } else {
            writing = true
        }
        // A key rotation is sealed by two keys: it goes alone, and nothing joins it.
        let batch: [Job]
        if pending[0].extraSigners.isEmpty {
            let count = pending.firstIndex { !$0.extraSigners.isEmpty } ?? pending.count
            batch = Array(pending.prefix(count))
        } else {
            batch = [pending[0]]
        }
        pending.removeFirst(batch.count)
        lock.unlock()

        write(batch)
        for member in batch { member.work = nil }

        lock.lock()
        if let next = pending.first {
            next.promoted = true
            lock.unlock()
            next.wake.signal()
        } else {
            writing = false
            lock.unlock()
        }
        for other in batch where other !== job { other.wake.signal() }
    }
}

extension Application {
    /// Writes a batch: see `WriteQueue`. Every job ends with a result.
    func write(_ batch: [WriteQueue.Job]) {
        var accepted: [WriteQueue.Job] = []
        do {
            let receipt: AppendReceipt? = try database.write { db in
                guard let active = try SigningKeyRecord.active(db) else {
                    throw CSIRTError(.input, "\(home.root): no active signing key; run `csirt init`")
                }
                let signer = try keyStore.activePrivateKey(keyID: active.keyID)
                var entries: [AuditEntryDraft] = []
                for job in batch {
                    do {
                        try db.inSavepoint {
                            guard let work = job.work else { throw CSIRTError(.input, "internal error: a change was run twice") }
                            entries.append(try work(db))
                            return .commit
                        }
                        accepted.append(job)
                    } catch {
                        job.result = .failure(CSIRTError.wrap(error))
                    }
                }
                guard !entries.isEmpty else { return nil }
                let receipt = try auditLog.append(entries, signers: [signer] + batch[0].extraSigners,
                                                  time: RFC3339.format(clock()), expecting: try Self.auditPosition(db))
                try Self.recordAuditPosition(receipt.position, db)
                return receipt
            }
            if let receipt { for job in accepted { job.result = .success(receipt) } }
        } catch {
            // The transaction rolled back: nothing of the batch was written.
            let failure = CSIRTError.wrap(error)
            for job in accepted { job.result = .failure(failure) }
            for job in batch where job.result == nil { job.result = .failure(failure) }
        }
    }
}
