// OpenBLAS's CBLAS (Debian libopenblas-dev) and LAPACKE (liblapacke-dev; Debian's OpenBLAS has no LAPACKE
// inside it). Installed by scripts/setup-system.sh.
#include <cblas.h>
#include <lapacke.h>
