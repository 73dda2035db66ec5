import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Every direct system call Cohortex makes, in one room: the EINTR retry loop is written once, failures
/// come back as `errno` text, and a fault hook for tests sits in front of writes and renames.
///
/// Fault hook (tests only): `COHORTEX_FAULT=write-enospc:N` makes the Nth write of the process fail
/// with ENOSPC; `COHORTEX_FAULT=exit-after-rename:N` ends the process (status 86, no clean-up, as a
/// kill would) right after its Nth rename.
public enum SystemCalls {
    /// A failed call: its errno and the system's message.
    public struct Failure: Error, Sendable {
        public let code: Int32
        public var reason: String { String(cString: strerror(code)) }

        init(_ code: Int32) { self.code = code }
    }

    /// Opens `path` read-only.
    static func openForReading(_ path: String) throws(Failure) -> Int32 {
        try retrying { open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// Creates `path`, which must not exist, for writing.
    static func createExclusive(_ path: String) throws(Failure) -> Int32 {
        try retrying { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
    }

    /// Closes `fd`.
    static func close(_ fd: Int32) throws(Failure) {
        guard Glibc.close(fd) == 0 else { throw Failure(errno) }
    }

    /// Reads until `buffer` is full or the file ends; returns the bytes read.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        var done = 0
        while done < buffer.count {
            let n = Glibc.read(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads up to `count` bytes at `offset` without moving the file position.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) -> Int {
        var n: Int
        repeat { n = pread(fd, buffer, count, off_t(offset)) } while n < 0 && errno == EINTR
        return n
    }

    /// Writes every byte of `bytes`, retrying short writes.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Failure) {
        if FaultHook.shared.failWrite() { throw Failure(ENOSPC) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(errno)
            }
            done += n
        }
    }

    /// Moves the file position to `offset`.
    static func seek(_ fd: Int32, to offset: Int) throws(Failure) {
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else { throw Failure(errno) }
    }

    /// Size in bytes and whether `fd` is a folder.
    static func size(_ fd: Int32) throws(Failure) -> (bytes: Int, isFolder: Bool) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(errno) }
        return (Int(st.st_size), (st.st_mode & S_IFMT) == S_IFDIR)
    }

    /// Tells the kernel the file will be read sequentially from `offset`.
    static func adviseSequential(_ fd: Int32, from offset: Int) {
        _ = posix_fadvise(fd, off_t(offset), 0, POSIX_FADV_SEQUENTIAL)
    }

    /// Renames `source` to `destination` (atomic within a file system).
    public static func rename(_ source: String, to destination: String) throws(Failure) {
        guard Glibc.rename(source, destination) == 0 else { throw Failure(errno) }
        FaultHook.shared.renamed()
    }

    /// Creates `path` and any missing parent folders (as `mkdir -p`).
    static func createFolders(_ path: String) throws(Failure) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") where !component.isEmpty {
            current += "/" + component
            if mkdir(current, 0o755) != 0 {
                let code = errno
                var st = stat()
                guard code == EEXIST, stat(current, &st) == 0 else { throw Failure(code) }
                guard (st.st_mode & S_IFMT) == S_IFDIR else { throw Failure(ENOTDIR) }
            }
        }
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// True when a regular file (or a link to one) exists at `path`.
    public static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR
    }

    /// Size and modification time (nanoseconds since the epoch) of a regular file, nil when absent.
    public static func status(_ path: String) -> (bytes: Int, modifiedNanoseconds: Int64)? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (Int(st.st_size), Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    /// Hard-links `source` as `destination`; fails with EEXIST when `destination` exists (an atomic
    /// create-if-absent that works on NFS, where `O_EXCL` and `flock` may not).
    public static func link(_ source: String, to destination: String) throws(Failure) {
        guard Glibc.link(source, destination) == 0 else { throw Failure(errno) }
    }

    /// Modification time of `path` in seconds since the epoch, if it exists.
    public static func modificationTime(_ path: String) -> Double? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }

    /// Regular files matching a shell pattern, sorted.
    public static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths.filter(fileExists).sorted()
    }

    /// Cores this process may run on (its CPU affinity — a cluster scheduler's or `taskset`'s binding —
    /// read from `Cpus_allowed_list` in /proc/self/status, as `sched_getaffinity` reports it), else every online core.
    public static var affinityCoreCount: Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else {
            return ProcessInfo.processInfo.activeProcessorCount
        }
        var count = 0
        for range in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let ends = range.split(separator: "-").compactMap { Int($0) }
            if ends.count == 2, ends[1] >= ends[0] { count += ends[1] - ends[0] + 1 } else if ends.count == 1 { count += 1 }
        }
        return count > 0 ? count : ProcessInfo.processInfo.activeProcessorCount
    }

    /// True when `descriptor` is a terminal (progress is drawn in place only there).
    public static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    /// This host's name.
    public static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown-host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// This process's id.
    public static var processID: Int32 { getpid() }

    /// Start time of process `pid` in clock ticks since boot (`/proc/PID/stat` field 22); nil when it is gone.
    /// With the pid it identifies a process uniquely, even after the pid is reused.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, start time field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// This process's start time (see `startTime(of:)`).
    public static let processStartTime: UInt64 = startTime(of: getpid()) ?? 0

    private static func retrying(_ call: () -> Int32) throws(Failure) -> Int32 {
        while true {
            let fd = call()
            if fd >= 0 { return fd }
            if errno != EINTR { throw Failure(errno) }
        }
    }
}

/// The test fault hook (`COHORTEX_FAULT`), read once per process.
final class FaultHook: @unchecked Sendable {
    // @unchecked: the counters are only touched under `lock`.
    static let shared = FaultHook(ProcessInfo.processInfo.environment["COHORTEX_FAULT"])

    private enum Fault { case failWrite(Int), exitAfterRename(Int) }
    private let fault: Fault?
    private let lock = NSLock()
    private var writes = 0
    private var renames = 0

    init(_ text: String?) {
        let parts = text?.split(separator: ":") ?? []
        switch (parts.first, parts.count == 2 ? Int(parts[1]) : nil) {
        case ("write-enospc", let n?): fault = .failWrite(n)
        case ("exit-after-rename", let n?): fault = .exitAfterRename(n)
        default: fault = nil
        }
    }

    /// True for the write that is to fail.
    func failWrite() -> Bool {
        guard case .failWrite(let n)? = fault else { return false }
        lock.lock()
        defer { lock.unlock() }
        writes += 1
        return writes == n
    }

    /// Ends the process after the chosen rename.
    func renamed() {
        guard case .exitAfterRename(let n)? = fault else { return }
        lock.lock()
        renames += 1
        let stop = renames == n
        lock.unlock()
        if stop { _exit(86) }
    }
}

extension SystemCalls {
    /// The system's message for an error thrown by one of these calls (any other error: its description).
    public static func reason(_ error: Error) -> String {
        (error as? Failure)?.reason ?? "\(error)"
    }
}
