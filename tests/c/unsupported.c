/* Functions shmpi does not implement are exported and fail honestly:
 * MPI_ERR_UNSUPPORTED_OPERATION, raised on MPI_COMM_SELF, with a message
 * that names the function and the missing part of MPI.
 *
 * Without arguments: under MPI_ERRORS_RETURN on MPI_COMM_SELF, checks the
 * class and the string of several such calls made with real arguments.
 * With the argument "fatal": rank 0 calls MPI_Win_create under the
 * default MPI_ERRORS_ARE_FATAL, which must end the job. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

/* Checks that `rc` is an MPI_ERR_UNSUPPORTED_OPERATION of `name` whose
 * string mentions `family`. */
static void check_unsupported(int rc, const char *name, const char *family) {
    char s[MPI_MAX_ERROR_STRING];
    int cls = -1, len = -1;
    CHECK(rc != MPI_SUCCESS);
    CHECK(MPI_Error_class(rc, &cls) == MPI_SUCCESS);
    if (cls != MPI_ERR_UNSUPPORTED_OPERATION) {
        fprintf(stderr, "rank %d: %s: class %d, expected %d\n", rank, name, cls,
                MPI_ERR_UNSUPPORTED_OPERATION);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    CHECK(MPI_Error_string(rc, s, &len) == MPI_SUCCESS);
    CHECK(len == (int)strlen(s));
    if (strstr(s, name) == NULL || strstr(s, "does not support") == NULL ||
        strstr(s, family) == NULL) {
        fprintf(stderr, "rank %d: %s: unexpected error string \"%s\"\n", rank, name, s);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0) printf("%s -> %s\n", name, s);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);

    if (argc > 1 && strcmp(argv[1], "fatal") == 0) {
        if (rank == 0) {
            int buf[4];
            MPI_Win win = MPI_WIN_NULL;
            MPI_Win_create(buf, sizeof buf, sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &win);
            printf("rank 0 survived an unsupported call under MPI_ERRORS_ARE_FATAL\n");
            fflush(stdout);
        }
        MPI_Finalize();
        return 0;
    }

    CHECK(MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN) == MPI_SUCCESS);

    int buf[4] = {1, 2, 3, 4};
    MPI_Win win = MPI_WIN_NULL;
    check_unsupported(
        MPI_Win_create(buf, sizeof buf, sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &win),
        "MPI_Win_create", "one-sided");
    CHECK(win == MPI_WIN_NULL);
    CHECK(buf[0] == 1 && buf[3] == 4);

    MPI_File fh = MPI_FILE_NULL;
    check_unsupported(
        MPI_File_open(MPI_COMM_WORLD, "unsupported.dat", MPI_MODE_CREATE | MPI_MODE_WRONLY,
                      MPI_INFO_NULL, &fh),
        "MPI_File_open", "MPI-IO");
    CHECK(fh == MPI_FILE_NULL);

    MPI_Request req = MPI_REQUEST_NULL;
    check_unsupported(MPI_Ibarrier(MPI_COMM_WORLD, &req), "MPI_Ibarrier",
                      "nonblocking collectives");
    CHECK(req == MPI_REQUEST_NULL);
    /* The profiling name is the same function. */
    check_unsupported(PMPI_Ibarrier(MPI_COMM_WORLD, &req), "MPI_Ibarrier",
                      "nonblocking collectives");

    int dims[2] = {0, 0}, periods[2] = {1, 0};
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(MPI_Dims_create(size, 2, dims) == MPI_SUCCESS);
    MPI_Comm cart = MPI_COMM_NULL;
    check_unsupported(MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &cart),
                      "MPI_Cart_create", "topologies");
    CHECK(cart == MPI_COMM_NULL);

    /* The job goes on: a ring exchange still works. */
    int right = (rank + 1) % size, left = (rank + size - 1) % size, got = -1;
    CHECK(MPI_Sendrecv(&rank, 1, MPI_INT, right, 7, &got, 1, MPI_INT, left, 7, MPI_COMM_WORLD,
                       MPI_STATUS_IGNORE) == MPI_SUCCESS);
    CHECK(got == left);

    printf("unsupported ok on rank %d of %d\n", rank, size);
    MPI_Finalize();
    return 0;
}
