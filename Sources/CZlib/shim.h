// zlib (Debian: zlib1g-dev, installed by scripts/setup-system.sh), for inflating DEFLATED members of .npz
// data sets and for CRC-32.
#include <zlib.h>
