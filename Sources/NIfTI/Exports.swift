// Grids, affines, masks and in-memory volumes are the vocabulary every layer shares; they live in
// Geometry (below I/O) so kernels and statistics never import this module. Re-exported here so
// code that reads images sees them without a second import.
@_exported import Geometry
// Tables (TSV) likewise: statistics read them without the image I/O; writing them atomically lives here.
@_exported import Tables
