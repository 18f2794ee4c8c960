/* jpegq.h: the quality a JPEG was saved at, estimated from its tables.
 *
 * USAGE
 *   jpeg_quality(buf, n)   1..100 for the JPEG whose first n bytes are at
 *                          buf, or 0 when no luminance quantization table
 *                          (DQT, table 0) is found in them
 *
 * ABOUT
 *   libjpeg scales its standard luminance table by 5000 / q percent below
 *   quality 50 and by 200 - 2q above; the ratio of the file's table sum to
 *   the standard one gives that percentage back, and so q. Encoders with
 *   other tables get the libjpeg quality of the same overall coarseness,
 *   which is what re-encoding with libjpeg at that quality preserves. The
 *   estimate, as ImageMagick's, is within a step or two of the quality
 *   used. Only the markers before the first scan are read.
 */
#ifndef JPEGQ_H
#define JPEGQ_H

#include <stddef.h>

int jpeg_quality(const unsigned char *buf, size_t n);

#endif
