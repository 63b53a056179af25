// CkptKit is the library's one import: it re-exports the modules a library user calls, so
// `import CkptKit` gives the whole public API. The modules themselves are split by dependency
// direction (see Package.swift); code inside the package imports the one it needs.
@_exported import CkptCore
@_exported import CkptImage
@_exported import CkptDICOM
@_exported import CkptCheckpoint
@_exported import CkptLayout
@_exported import CkptForward
@_exported import CkptEmbed
@_exported import CkptGolden
@_exported import CkptVerify
