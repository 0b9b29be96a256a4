// Copyright 2026 The Wayback Authors.
// Shared test helpers (random data, temporary directories).
#include "tests/testutil/testutil.h"
