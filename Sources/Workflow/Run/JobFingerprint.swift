import Foundation
import NIfTI
import Pipeline

/// What makes a job's outputs up to date, recorded in every sidecar it writes (key `Job`) and checked on
/// the next run: the request (parameters, input and output paths) and software version, hashed; every
/// input's path, size and modification time (and content hash with `verifyInputs`). State lives in the
/// sidecars beside the outputs — no central database for concurrent processes or array tasks to contend for.
public struct JobFingerprint: Sendable, Equatable {
    /// CRC-64 of the request's canonical JSON and the software version.
    public let request: String
    public let inputs: [InputFingerprint]

    /// One input file as it was when the job ran.
    public struct InputFingerprint: Sendable, Equatable {
        public let path: String
        public let bytes: Int
        public let modifiedNanoseconds: Int64
        public let crc64: String?
    }

    /// The fingerprint of `job` as its inputs are now; nil inputs (missing files) are recorded as size -1.
    public init(job: Job, verifyInputs: Bool) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = Array(try encoder.encode(job.work)) + Array(CohortexVersion.string.utf8)
        request = FileChecksum.text(FileChecksum.crc64(of: bytes))
        inputs = try job.inputs.map { path in
            let status = SystemCalls.status(path)
            let crc = verifyInputs && status != nil ? FileChecksum.text(try FileChecksum.crc64(of: path).crc64) : nil
            return InputFingerprint(path: path, bytes: status?.bytes ?? -1, modifiedNanoseconds: status?.modifiedNanoseconds ?? 0, crc64: crc)
        }
    }

    init(request: String, inputs: [InputFingerprint]) {
        self.request = request
        self.inputs = inputs
    }

    /// The sidecar entry.
    public var json: JSONValue {
        .object([
            ("Request", .string(request)),
            ("Inputs", .array(inputs.map { input in
                .object([("Path", .string(input.path)), ("Bytes", .int(input.bytes)),
                         ("ModifiedNanoseconds", .string(String(input.modifiedNanoseconds)))]
                        + (input.crc64.map { [("CRC64", .string($0))] } ?? []))
            })),
        ])
    }

    /// The fingerprint recorded in a sidecar, if it has one.
    static func recorded(in object: [String: Any]) -> JobFingerprint? {
        guard let job = object["Job"] as? [String: Any], let request = job["Request"] as? String,
              let inputs = job["Inputs"] as? [[String: Any]] else { return nil }
        return JobFingerprint(request: request, inputs: inputs.compactMap { entry in
            guard let path = entry["Path"] as? String, let bytes = entry["Bytes"] as? Int,
                  let modified = (entry["ModifiedNanoseconds"] as? String).flatMap({ Int64($0) }) else { return nil }
            return InputFingerprint(path: path, bytes: bytes, modifiedNanoseconds: modified, crc64: entry["CRC64"] as? String)
        })
    }

    /// True when `recorded` describes the same request and inputs; content hashes are compared when both have them,
    /// else size and modification time.
    func matches(_ recorded: JobFingerprint) -> Bool {
        guard request == recorded.request, inputs.count == recorded.inputs.count else { return false }
        return zip(inputs, recorded.inputs).allSatisfy { now, then in
            guard now.path == then.path, now.bytes == then.bytes, now.bytes >= 0 else { return false }
            if let a = now.crc64, let b = then.crc64 { return a == b }
            return now.modifiedNanoseconds == then.modifiedNanoseconds
        }
    }
}

/// Whether a job must run, and why.
public enum JobStatus: Sendable, Equatable {
    case upToDate
    case mustRun(reason: String)

    /// Checks the job's sidecars against its fingerprint now, and every described output against its recorded size and CRC-64.
    public static func check(_ job: Job, fingerprint: JobFingerprint) -> JobStatus {
        var described = Set<String>()
        for sidecar in job.sidecars {
            guard let data = FileManager.default.contents(atPath: sidecar) else {
                return .mustRun(reason: SystemCalls.fileExists(sidecar) ? "sidecar unreadable" : "not run yet")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let recorded = JobFingerprint.recorded(in: object) else { return .mustRun(reason: "sidecar without a job fingerprint") }
            guard recorded.request == fingerprint.request else { return .mustRun(reason: "parameters changed") }
            guard fingerprint.matches(recorded) else { return .mustRun(reason: "inputs changed") }
            let folder = (sidecar as NSString).deletingLastPathComponent
            for case let output as [String: Any] in object["Outputs"] as? [Any] ?? [] {
                guard let name = output["Path"] as? String, let bytes = output["Bytes"] as? Int, let crc = output["CRC64"] as? String else {
                    return .mustRun(reason: "sidecar's output list damaged")
                }
                let path = folder + "/" + name
                guard let actual = try? FileChecksum.crc64(of: path) else { return .mustRun(reason: "output \(name) missing") }
                guard actual.bytes == bytes, FileChecksum.text(actual.crc64) == crc else {
                    return .mustRun(reason: "output \(name) does not match its sidecar")
                }
                described.insert(path)
            }
            described.insert(sidecar)
        }
        if let missing = job.outputs.first(where: { !described.contains($0) }) {
            return .mustRun(reason: "output \((missing as NSString).lastPathComponent) missing")
        }
        return .upToDate
    }
}
