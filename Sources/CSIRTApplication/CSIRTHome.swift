import Foundation

/// The data home: the SQLite database, `keys/` and `audit/`.
///
///     HOME/csirt.sqlite          the database (WAL)
///     HOME/keys/ID.pem           the active private signing key (mode 0600)
///     HOME/keys/ID.pub.pem       public keys, active and retired
///     HOME/audit/audit.log       the hash-chained, signed audit log
public struct CSIRTHome: Sendable, Equatable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// `--home DIR`, else `CSIRT_HOME`, else `$XDG_DATA_HOME/csirt`, else `~/.local/share/csirt`.
    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> CSIRTHome {
        if let explicit, !explicit.isEmpty { return CSIRTHome(root: absolute(explicit)) }
        if let fromEnvironment = environment["CSIRT_HOME"], !fromEnvironment.isEmpty { return CSIRTHome(root: absolute(fromEnvironment)) }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return CSIRTHome(root: xdg + "/csirt") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return CSIRTHome(root: home + "/.local/share/csirt")
    }

    private static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
        return url.standardizedFileURL.path
    }

    public var databasePath: String { root + "/csirt.sqlite" }
    public var keysDirectory: String { root + "/keys" }
    public var auditDirectory: String { root + "/audit" }
    public var auditLogPath: String { auditDirectory + "/audit.log" }

    public func privateKeyPath(keyID: String) -> String { keysDirectory + "/\(keyID.prefix(16)).pem" }
    public func publicKeyPath(keyID: String) -> String { keysDirectory + "/\(keyID.prefix(16)).pub.pem" }

    public var exists: Bool { FileManager.default.fileExists(atPath: databasePath) }
}
