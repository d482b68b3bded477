import AuditLog
import CanonicalJSON
import CSIRTCrypto
import CSIRTStore
import Foundation
import GRDB

/// Group commit. Changes that arrive while another is being written wait, then go together: one
/// database transaction (each change in its own savepoint, so one that fails leaves the others),
/// one audit-log append of all their entries sealed by one checkpoint, one commit, one pair of
/// fsyncs. Each change still writes exactly one audit entry; a lone change (every CLI command)
/// is a batch of one, as before. Many API clients writing at once then cost little more than one.
///
/// One writer thread writes the batches, one after the other, while the submitters wait. It
/// starts with the first change and ends after a second without any, so that an idle process
/// (or each of a test's many applications) keeps no thread. Handing the writing over from one
/// submitter's thread to the next, as an earlier version did, left the database idle for a
/// thread wake-up between batches: a sixth of the time under load.
final class WriteQueue: @unchecked Sendable {
    /// One change waiting to be written. `work` makes the change and returns its audit entry.
    final class Job {
        /// Dropped once the batch is written: it captures the submitter's non-escaping closure
        /// (`withoutActuallyEscaping`), which must not outlive the submitter's call.
        var work: ((Database) throws -> AuditEntryDraft)?
        let extraSigners: [PrivateKey]
        var result: Result<AppendReceipt, CSIRTError>?
        let wake = DispatchSemaphore(value: 0)

        init(work: @escaping (Database) throws -> AuditEntryDraft, extraSigners: [PrivateKey]) {
            self.work = work
            self.extraSigners = extraSigners
        }
    }

    private let condition = NSCondition()
    private var pending: [Job] = []
    private var writerRunning = false
    static let idleTimeout: TimeInterval = 1

    /// Whether a writer thread exists now, and how many changes wait for it (tests).
    var isWriterRunning: Bool { condition.withLock { writerRunning } }
    var waitingCount: Int { condition.withLock { pending.count } }

    /// Runs `job` (with whatever else is waiting) and returns once it is written or has failed.
    /// `write` writes one batch; every job ends it with a result.
    func run(_ job: Job, write: @escaping @Sendable ([Job]) -> Void) {
        condition.lock()
        pending.append(job)
        if writerRunning {
            condition.signal()
        } else {
            writerRunning = true
            let thread = Thread { [self] in writeUntilIdle(write) }
            thread.name = "csirt-writer"
            thread.start()
        }
        condition.unlock()
        job.wake.wait()
    }

    private func writeUntilIdle(_ write: ([Job]) -> Void) {
        condition.lock()
        while true {
            guard !pending.isEmpty else {
                if !condition.wait(until: Date(timeIntervalSinceNow: Self.idleTimeout)) && pending.isEmpty {
                    writerRunning = false
                    condition.unlock()
                    return
                }
                continue
            }
            // A key rotation is sealed by two keys: it goes alone, and nothing joins it.
            let count = pending[0].extraSigners.isEmpty ? (pending.firstIndex { !$0.extraSigners.isEmpty } ?? pending.count) : 1
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            condition.unlock()

            write(batch)
            for member in batch {
                member.work = nil
                member.wake.signal()
            }
            condition.lock()
        }
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
                // A job's failure may have made SQLite roll the whole transaction back (a full
                // disk): then the accepted jobs' rows are gone too, and their entries must not
                // reach the log.
                guard db.isInsideTransaction else {
                    throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the transaction was rolled back by SQLite")
                }
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
