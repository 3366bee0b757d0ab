// Data-parallel training: a C caller's bsnn_gradient_exchange as the engine's
// GradientExchange (callbacks and status codes translated, nothing decided here).
import BSNN
import CBSNNSupport

final class CGradientExchange: GradientExchange {
    let callbacks: bsnn_gradient_exchange
    let processCount: Int
    let rank: Int

    init(_ c: bsnn_gradient_exchange) {
        callbacks = c
        processCount = Int(c.process_count)
        rank = Int(c.rank)
    }

    private func check(_ rc: Int32, _ what: String) throws(BSNNError) {
        guard rc == 0 else {
            throw BSNNError.io("gradient exchange: the \(what) callback failed (returned \(rc)); the data-parallel run cannot go on")
        }
    }

    func start(bucket: Int, buffer: UnsafeMutablePointer<Float>, count: Int) throws(BSNNError) {
        try check(callbacks.start?(callbacks.user_data, Int32(truncatingIfNeeded: bucket), buffer, count) ?? -1, "start")
    }

    func finish(bucket: Int) throws(BSNNError) {
        try check(callbacks.finish?(callbacks.user_data, Int32(truncatingIfNeeded: bucket)) ?? -1, "finish")
    }

    func agree(status: StepStatus) throws(BSNNError) -> StepStatus {
        var agreed = BSNN_STEP_FAILED.code
        try check(callbacks.agree?(callbacks.user_data, stepStatusCode(status), &agreed) ?? -1, "agree")
        switch agreed {
        case BSNN_STEP_OK.code: return .ok
        case BSNN_STEP_NON_FINITE.code: return .nonFinite
        default: return .failed
        }
    }

    func allMatchRankZero(_ value: UInt64) throws(BSNNError) -> Bool {
        var match: Int32 = 0
        try check(callbacks.all_match_rank_zero?(callbacks.user_data, value, &match) ?? -1, "all_match_rank_zero")
        return match == 1
    }
}

func stepStatusCode(_ s: StepStatus) -> Int32 {
    switch s {
    case .ok: return BSNN_STEP_OK.code
    case .nonFinite: return BSNN_STEP_NON_FINITE.code
    case .failed: return BSNN_STEP_FAILED.code
    }
}

@_cdecl("bsnn_trainer_set_gradient_exchange")
public func bsnn_trainer_set_gradient_exchange(
    _ trainer: OpaquePointer?, _ exchange: UnsafePointer<bsnn_gradient_exchange>?
) -> Int32 {
    guarded("bsnn_trainer_set_gradient_exchange") {
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        guard let exchange else { return try t.setGradientExchange(nil) }
        let given = UnsafeRawPointer(exchange).loadUnaligned(as: Int.self)
        let full = MemoryLayout<bsnn_gradient_exchange>.size
        try checkStructSize(given, bsnn_gradient_exchange.self, minimum: full, structName: "bsnn_gradient_exchange", argument: "exchange->size")
        let c = exchange.pointee
        guard c.start != nil, c.finish != nil, c.agree != nil, c.all_match_rank_zero != nil else {
            throw invalid("exchange: expected all four callbacks (start, finish, agree, all_match_rank_zero), got a NULL one")
        }
        try t.setGradientExchange(CGradientExchange(c))
    }
}
