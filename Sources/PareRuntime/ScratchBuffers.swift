import Foundation

/// Float scratch memory that kernels borrow for the length of one call (Conv's im2col columns) instead of
/// allocating it on every call. Thread-safe: a borrowed buffer belongs to its caller until `withBuffer` returns,
/// concurrent callers get different buffers. Buffers up to `keepLimit` floats are kept for the next call; larger
/// ones are freed after use, so a model with one huge convolution does not hold that memory for good.
final class ScratchBuffers: @unchecked Sendable {
    static let shared = ScratchBuffers()

    private var free: [UnsafeMutableBufferPointer<Float>] = []
    private let lock = NSLock()
    let keepLimit = 4 << 20

    /// Calls `body` with at least `count` floats of uninitialized memory.
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        lock.lock()
        var buffer = free.popLast()
        lock.unlock()
        if let b = buffer, b.count < count {
            b.deallocate()
            buffer = nil
        }
        let b = buffer ?? UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        defer {
            if b.count <= keepLimit {
                lock.lock()
                free.append(b)
                lock.unlock()
            } else {
                b.deallocate()
            }
        }
        return try body(b.baseAddress!)
    }
}
