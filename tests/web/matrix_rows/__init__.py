"""Access-matrix rows per feature, merged into test_access_matrix.MATRIX."""
