/* MPI_Dims_create: balanced factors in non-increasing order, fixed
 * entries kept, and errors for impossible requests. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

/* dims_create(n, k, in) must give `want`. */
static void expect(int n, int k, const int *in, const int *want) {
    int dims[8];
    memcpy(dims, in, k * sizeof(int));
    int rc = MPI_Dims_create(n, k, dims);
    CHECK(rc == MPI_SUCCESS);
    for (int i = 0; i < k; i++) {
        if (dims[i] != want[i]) {
            fprintf(stderr, "rank %d: MPI_Dims_create(%d, %d): dims[%d] = %d, expected %d\n",
                    rank, n, k, i, dims[i], want[i]);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
}

static int error_class(int rc) {
    int cls = -1;
    CHECK(MPI_Error_class(rc, &cls) == MPI_SUCCESS);
    return cls;
}

int main(int argc, char **argv) {
    int size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    expect(6, 2, (int[]){0, 0}, (int[]){3, 2});
    expect(7, 2, (int[]){0, 0}, (int[]){7, 1});
    expect(8, 3, (int[]){0, 0, 0}, (int[]){2, 2, 2});
    expect(16, 3, (int[]){0, 0, 0}, (int[]){4, 2, 2});
    expect(72, 2, (int[]){0, 0}, (int[]){9, 8});
    expect(24, 3, (int[]){0, 3, 0}, (int[]){4, 3, 2});
    expect(12, 2, (int[]){0, 2}, (int[]){6, 2});
    expect(12, 2, (int[]){3, 4}, (int[]){3, 4});
    expect(1, 4, (int[]){0, 0, 0, 0}, (int[]){1, 1, 1, 1});
    expect(1 << 20, 3, (int[]){0, 0, 0}, (int[]){128, 128, 64});

    /* The job's own size in 2 dimensions multiplies back. */
    int d2[2] = {0, 0};
    CHECK(MPI_Dims_create(size, 2, d2) == MPI_SUCCESS);
    CHECK(d2[0] * d2[1] == size && d2[0] >= d2[1]);

    /* Errors, returned. */
    CHECK(MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN) == MPI_SUCCESS);
    int bad[2] = {0, 5};
    CHECK(error_class(MPI_Dims_create(12, 2, bad)) == MPI_ERR_DIMS);
    CHECK(bad[0] == 0 && bad[1] == 5);
    int exact[2] = {3, 5};
    CHECK(error_class(MPI_Dims_create(12, 2, exact)) == MPI_ERR_DIMS);
    int neg[2] = {0, -2};
    CHECK(error_class(MPI_Dims_create(12, 2, neg)) == MPI_ERR_DIMS);
    CHECK(error_class(MPI_Dims_create(12, -1, d2)) == MPI_ERR_DIMS);
    CHECK(error_class(MPI_Dims_create(0, 2, (int[]){0, 0})) == MPI_ERR_ARG);
    CHECK(error_class(MPI_Dims_create(4, 2, NULL)) == MPI_ERR_ARG);
    char s[MPI_MAX_ERROR_STRING];
    int len;
    CHECK(MPI_Error_string(MPI_Dims_create(12, 2, bad), s, &len) == MPI_SUCCESS);
    CHECK(strstr(s, "MPI_Dims_create") != NULL && strstr(s, "12") != NULL);

    printf("dims_create ok on rank %d of %d\n", rank, size);
    MPI_Finalize();
    return 0;
}
