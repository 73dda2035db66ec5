/* Peer for the read benchmark: libnifti's own reader (zlib via znzlib), whole image into memory. */
#include <nifti2_io.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: libnifti_read FILE\n"); return 2; }
    nifti_set_debug_level(0);
    nifti_image *nim = nifti_image_read(argv[1], 1);
    if (!nim || !nim->data) { fprintf(stderr, "libnifti_read: cannot read %s\n", argv[1]); return 1; }
    double sum = 0;
    const unsigned char *bytes = nim->data;
    for (int64_t i = 0; i < (int64_t)nim->nvox * nim->nbyper; i += 4096) sum += bytes[i];
    printf("%lld voxels (checksum %g)\n", (long long)nim->nvox, sum);
    nifti_image_free(nim);
    return 0;
}
