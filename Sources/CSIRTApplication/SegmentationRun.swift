import CSIRTCrypto
import Foundation
import Segmentation
import YAMLFormats

/// A segmentation check as csirt runs it: the files it read (with their SHA-256) and the result.
public struct SegmentationRun: Sendable {
    public struct Input: Sendable, Equatable, Codable {
        public var kind: String
        public var file: String
        public var sha256: String
    }

    public var siteFile: String
    public var site: Site
    public var policy: Policy
    public var inputs: [Input]
    public var result: CheckResult
    /// Set once the run is stored.
    public var id: Int64?
    public var checkedAt: Date

    /// Reads the site description, its firewalls' configs and the policy (the model's default when
    /// `policyFile` is nil), and checks them. Any unreadable input is an error naming its place.
    ///
    /// With `uploaded`, the site description and the configs it names come from those files (an
    /// HTTP upload) and never from the disk: a reference must name one of them exactly.
    public static func check(siteFile: String, policyFile: String?, policyDirectory: String, now: Date = Date(),
                             uploaded: [String: [UInt8]]? = nil) throws(CSIRTError) -> SegmentationRun {
        let started = Date()
        let siteBytes: [UInt8]
        if let uploaded {
            guard let bytes = uploaded[siteFile] else { throw CSIRTError(.input, "\(siteFile): not among the uploaded files") }
            siteBytes = bytes
        } else {
            siteBytes = try InputFile.read(siteFile, limit: 4 << 20, what: "a site description")
        }
        guard let siteText = String(validating: siteBytes, as: UTF8.self) else { throw CSIRTError(.input, "\(siteFile): not UTF-8 text") }
        let site: Site
        do {
            site = try SiteDecoder.decode(siteText, file: siteFile)
        } catch {
            throw CSIRTError(.input, YAMLProblems.summary(error))
        }
        var inputs = [Input(kind: "site", file: siteFile, sha256: Hex.encode(SHA256.hash(siteBytes)))]
        let policyPath = policyFile ?? PolicyCatalog.defaultPath(for: site.model, directory: policyDirectory)
        if policyFile == nil && !FileManager.default.fileExists(atPath: policyPath) {
            throw CSIRTError(.input, "\(siteFile): no default policy for model \(site.model.rawValue) (\(policyPath) does not exist); pass --policy FILE")
        }
        let (policy, policyBytes) = try PolicyCatalog.load(path: policyPath)
        inputs.append(Input(kind: "policy", file: policyPath, sha256: Hex.encode(SHA256.hash(policyBytes))))

        let directory = (siteFile as NSString).deletingLastPathComponent
        var firewalls: [(FirewallReference, Ruleset)] = []
        for reference in site.firewalls {
            let path: String, bytes: [UInt8]
            if let uploaded {
                path = reference.file
                guard let upload = uploaded[path] else {
                    throw CSIRTError(.input, "\(reference.location): firewall \(reference.name): \(path) is not among the uploaded files (\(uploaded.keys.sorted().joined(separator: ", ")))")
                }
                bytes = upload
            } else {
                path = reference.file.hasPrefix("/") || directory.isEmpty ? reference.file : directory + "/" + reference.file
                guard FileManager.default.fileExists(atPath: path) else {
                    throw CSIRTError(.input, "\(reference.location): firewall \(reference.name): \(path): no such file")
                }
                bytes = try InputFile.read(path, limit: 1 << 30, what: "a firewall configuration")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else { throw CSIRTError(.input, "\(path): not UTF-8 text") }
            inputs.append(Input(kind: "ruleset", file: path, sha256: Hex.encode(SHA256.hash(bytes))))
            do {
                let ruleset: Ruleset
                switch reference.format {
                case .iptablesSave: ruleset = try IptablesSaveParser.parse(text, file: path)
                case .nftablesJSON: ruleset = try NftablesJSONParser.parse(text, file: path)
                }
                firewalls.append((reference, ruleset))
            } catch {
                throw CSIRTError(.input, error.description)
            }
        }
        let result: CheckResult
        let parsed = Date()
        let check: SegmentationCheck
        do {
            check = try SegmentationCheck(site: site, policy: policy, firewalls: firewalls)
        } catch {
            throw CSIRTError(.input, error.description)
        }
        let evaluated = Date()
        result = check.run()
        // For benchmarks: where the time went.
        if ProcessInfo.processInfo.environment["CSIRT_TIMING"] != nil {
            let line = String(format: "csirt: timing: read and parse %.3f s, evaluate %.3f s, findings %.3f s\n",
                              parsed.timeIntervalSince(started), evaluated.timeIntervalSince(parsed), Date().timeIntervalSince(evaluated))
            FileHandle.standardError.write(Data(line.utf8))
        }
        return SegmentationRun(siteFile: siteFile, site: site, policy: policy, inputs: inputs, result: result, id: nil, checkedAt: now)
    }
}
