import Archive

/// Reads `input` whole and checks that it is a complete globals script (for `verify`, as `checkScript` is for dumps);
/// returns how many sections and statements it holds.
package func checkGlobalsScript(_ input: ScriptInput) throws -> (sections: Int, statements: Int) {
    let script = try GlobalsScript.parse(try input.open().readAll(), name: input.name)
    return (script.sections.count, script.sections.reduce(0) { $0 + $1.statements.count })
}
