/// `zip(first, second).map(combine)`, with every element moved out of `first` and `second` (both
/// are left empty) instead of copied: a copy of an asset or a candidate retains every string in
/// it, and a re-run does this for every asset. The arrays are taken from the back, so the result
/// is built backwards and reversed.
func zipMoving<First, Second, Result>(_ first: inout [First], _ second: inout [Second],
                                      _ combine: (consuming First, consuming Second) -> Result) -> [Result] {
    precondition(first.count == second.count, "zipMoving pairs arrays of the same length")
    var result: [Result] = []
    result.reserveCapacity(first.count)
    while let a = first.popLast(), let b = second.popLast() {
        result.append(combine(a, b))
    }
    result.reverse()
    return result
}
