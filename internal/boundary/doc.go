// Package boundary holds no code: its tests hold the module's package
// boundaries (see ARCHITECTURE.md) from go list's view of the imports:
// each heavy library has one importing package, the compiler is pure, the
// scheduler and the engine touch no driver, the command line goes through
// the engine, and outside the adapters no code writes SQL text.
package boundary
