/* Error handlers through the C interface: user handlers get the
 * communicator and the code; MPI_Comm_call_errhandler; user classes,
 * codes and strings; error strings that name the call; freeing handlers.
 * With argument "fatal" (or "call"), rank 0 makes an error under
 * MPI_ERRORS_ARE_FATAL (or calls the world's handler), which must end the
 * job with one line on stderr (checked by tests/capi_comm.rs); with
 * "after", every rank makes an error after MPI_Finalize. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

static int rank, size;
static MPI_Comm seen_comm = MPI_COMM_NULL;
static int seen_code = -1, calls = 0;

static void handler(MPI_Comm *comm, int *code, ...) {
    seen_comm = *comm;
    seen_code = *code;
    calls++;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int x = 0, cls, len;
    char s[MPI_MAX_ERROR_STRING];

    if (argc > 1 && strcmp(argv[1], "fatal") == 0) {
        if (rank == 0) MPI_Send(&x, 1, MPI_INT, size + 3, 0, MPI_COMM_WORLD);
        else MPI_Recv(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        fprintf(stderr, "rank %d: still running after a fatal error\n", rank);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "call") == 0) {
        if (rank == 0) MPI_Comm_call_errhandler(MPI_COMM_WORLD, MPI_ERR_TRUNCATE);
        else MPI_Recv(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        fprintf(stderr, "rank %d: still running after a fatal error\n", rank);
        return 0;
    }

    if (argc > 1 && strcmp(argv[1], "after") == 0) {
        /* Every rank makes a fatal error at once, after MPI_Finalize. */
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Finalize();
        MPI_Comm_size(MPI_COMM_WORLD, &x);
        fprintf(stderr, "rank %d: still running after a fatal error\n", rank);
        return 0;
    }

    MPI_Errhandler eh, got;
    CHECK(MPI_Comm_create_errhandler(handler, &eh) == MPI_SUCCESS);
    MPI_Comm dup;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    MPI_Comm_set_errhandler(dup, eh);
    MPI_Comm_get_errhandler(dup, &got);
    CHECK(got == eh);
    MPI_Errhandler_free(&got);
    CHECK(got == MPI_ERRHANDLER_NULL);

    /* An error on dup: the handler sees dup and the code that is returned. */
    int rc = MPI_Send(&x, 1, MPI_INT, size, 0, dup);
    CHECK(calls == 1 && seen_comm == dup && seen_code == rc);
    MPI_Error_class(rc, &cls);
    CHECK(cls == MPI_ERR_RANK);
    MPI_Error_string(rc, s, &len);
    CHECK(strstr(s, "MPI_Send") != NULL && (int)strlen(s) == len);
    rc = MPI_Recv(&x, -1, MPI_INT, 0, 0, dup, MPI_STATUS_IGNORE);
    CHECK(calls == 2 && seen_code == rc);
    MPI_Error_class(rc, &cls);
    CHECK(cls == MPI_ERR_COUNT);
    MPI_Error_string(rc, s, &len);
    CHECK(strstr(s, "MPI_Recv") != NULL);

    /* Calling the handler: with a standard class, then a user code. */
    CHECK(MPI_Comm_call_errhandler(dup, MPI_ERR_OTHER) == MPI_SUCCESS);
    CHECK(calls == 3 && seen_comm == dup && seen_code == MPI_ERR_OTHER);
    int myclass, mycode, last, *lastp;
    CHECK(MPI_Add_error_class(&myclass) == MPI_SUCCESS);
    CHECK(MPI_Add_error_code(myclass, &mycode) == MPI_SUCCESS);
    CHECK(mycode != myclass);
    CHECK(MPI_Add_error_string(myclass, "my class") == MPI_SUCCESS);
    CHECK(MPI_Add_error_string(mycode, "my code: the widget broke") == MPI_SUCCESS);
    MPI_Error_class(mycode, &cls);
    CHECK(cls == myclass);
    MPI_Error_string(mycode, s, &len);
    CHECK(strcmp(s, "my code: the widget broke") == 0);
    MPI_Error_string(myclass, s, &len);
    CHECK(strcmp(s, "my class") == 0);
    int flag;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_LASTUSEDCODE, &lastp, &flag);
    last = *lastp;
    CHECK(flag && last >= mycode && last >= myclass);
    CHECK(MPI_Comm_call_errhandler(dup, mycode) == MPI_SUCCESS);
    CHECK(calls == 4 && seen_code == mycode);

    /* A freed handler stays in use by the communicator that has it. */
    MPI_Errhandler keep = eh;
    CHECK(MPI_Errhandler_free(&eh) == MPI_SUCCESS && eh == MPI_ERRHANDLER_NULL);
    rc = MPI_Send(&x, 1, MPI_INT, -7, 0, dup);
    CHECK(calls == 5 && seen_code == rc && rc != MPI_SUCCESS);
    /* ... and dups inherit it. */
    MPI_Comm dup2;
    MPI_Comm_dup(dup, &dup2);
    rc = MPI_Send(&x, 1, MPI_INT, size, 0, dup2);
    CHECK(calls == 6 && seen_comm == dup2);

    /* Predefined handlers: ERRORS_RETURN does nothing; freeing one only
     * clears the handle (as MPICH). */
    MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
    CHECK(MPI_Comm_call_errhandler(dup, MPI_ERR_OTHER) == MPI_SUCCESS && calls == 6);
    MPI_Comm_get_errhandler(dup, &got);
    CHECK(got == MPI_ERRORS_RETURN);
    CHECK(MPI_Errhandler_free(&got) == MPI_SUCCESS && got == MPI_ERRHANDLER_NULL);
    MPI_Comm_get_errhandler(MPI_COMM_WORLD, &got);
    CHECK(got == MPI_ERRORS_ARE_FATAL);
    MPI_Errhandler_free(&got);
    MPI_Comm_free(&dup2);
    /* No holder, no user: the handle is gone. */
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    MPI_Error_class(MPI_Errhandler_free(&keep), &cls);
    CHECK(cls == MPI_ERR_ARG);
    MPI_Error_class(MPI_Comm_set_errhandler(dup, keep), &cls);
    CHECK(cls == MPI_ERR_ARG);
    MPI_Errhandler null = MPI_ERRHANDLER_NULL;
    MPI_Error_class(MPI_Errhandler_free(&null), &cls);
    CHECK(cls == MPI_ERR_ARG);
    /* Errors on an invalid communicator go to MPI_COMM_WORLD's handler. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Error_class(MPI_Comm_call_errhandler(MPI_COMM_NULL, MPI_ERR_OTHER), &cls);
    CHECK(cls == MPI_ERR_COMM);
    MPI_Error_class(MPI_Comm_create_errhandler(NULL, &eh), &cls);
    CHECK(cls == MPI_ERR_ARG);

    /* Every standard class of mpi.h has a class and a string, also those
     * of families shmpi does not implement (files, windows, tools). */
    int classes[] = {MPI_SUCCESS, MPI_ERR_BUFFER, MPI_ERR_REQUEST, MPI_ERR_ACCESS,
                     MPI_ERR_FILE, MPI_ERR_IO, MPI_ERR_NO_SPACE, MPI_ERR_SPAWN,
                     MPI_ERR_UNSUPPORTED_DATAREP, MPI_ERR_WIN, MPI_ERR_LOCKTYPE,
                     MPI_ERR_RMA_SYNC, MPI_ERR_DISP, MPI_ERR_RMA_FLAVOR, MPI_T_ERR_MEMORY,
                     MPI_T_ERR_INVALID, MPI_ERR_SESSION, MPI_ERR_PROC_ABORTED,
                     MPI_ERR_VALUE_TOO_LARGE};
    for (unsigned i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        CHECK(MPI_Error_class(classes[i], &cls) == MPI_SUCCESS && cls == classes[i]);
        CHECK(MPI_Error_string(classes[i], s, &len) == MPI_SUCCESS && len > 0);
    }
    MPI_Error_string(MPI_ERR_WIN, s, &len);
    CHECK(strstr(s, "MPI_ERR_WIN") != NULL);
    for (int c = 0; c <= MPI_ERR_LASTCODE && c <= MPI_ERR_VALUE_TOO_LARGE; c++) {
        if (c == 54) continue; /* not a class in MPICH's numbering */
        CHECK(MPI_Error_class(c, &cls) == MPI_SUCCESS && cls == c);
    }

    MPI_Comm_free(&dup);
    MPI_Finalize();
    printf("errhandler ok on rank %d of %d\n", rank, size);
    return 0;
}
