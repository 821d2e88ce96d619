#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's entry point for `scripts/fuzz`: runs the target named by `$FUZZ_TARGET` on
/// each input libFuzzer makes up, and traps when the target reports a broken promise (a
/// trap in a parser is caught by libFuzzer itself).
let fuzzTarget: String = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? "json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    if let broken = FuzzTargets.run(fuzzTarget, input) {
        fatalError("\(fuzzTarget): \(broken)")
    }
    return 0
}
