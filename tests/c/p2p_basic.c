/* Point to point through the C interface: blocking and nonblocking
 * sends and receives, statuses, wildcards, PROC_NULL, errors returned. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

int main(int argc, char **argv) {
    int rank, size, flag;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Initialized(&flag);
    CHECK(flag == 1);

    /* Ring with Sendrecv, several sizes (eager, stream, rendezvous). */
    int sizes[] = {0, 1, 1000, 100000, 1 << 20};
    for (int k = 0; k < 5; k++) {
        int n = sizes[k];
        int *out = malloc((n + 1) * sizeof(int)), *in = malloc((n + 1) * sizeof(int));
        for (int i = 0; i < n; i++) out[i] = rank * 1000003 + i;
        int right = (rank + 1) % size, left = (rank + size - 1) % size;
        MPI_Status st;
        MPI_Sendrecv(out, n, MPI_INT, right, k, in, n, MPI_INT, left, k, MPI_COMM_WORLD, &st);
        int c;
        MPI_Get_count(&st, MPI_INT, &c);
        CHECK(c == n && st.MPI_SOURCE == left && st.MPI_TAG == k);
        for (int i = 0; i < n; i++) CHECK(in[i] == left * 1000003 + i);
        free(out);
        free(in);
    }

    /* Everyone sends to 0 with ANY_SOURCE/ANY_TAG receives (on a
     * duplicate, so that later traffic on the world cannot match). */
    MPI_Comm dup;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    if (rank == 0) {
        int seen = 0;
        for (int i = 1; i < size; i++) {
            double v;
            MPI_Status st;
            MPI_Recv(&v, 1, MPI_DOUBLE, MPI_ANY_SOURCE, MPI_ANY_TAG, dup, &st);
            CHECK(v == st.MPI_SOURCE * 0.5 && st.MPI_TAG == 100 + st.MPI_SOURCE);
            seen |= 1 << st.MPI_SOURCE;
        }
        CHECK(size == 1 || seen == ((1 << size) - 2));
    } else {
        double v = rank * 0.5;
        MPI_Send(&v, 1, MPI_DOUBLE, 0, 100 + rank, dup);
    }
    MPI_Comm_free(&dup);
    CHECK(dup == MPI_COMM_NULL);

    /* Nonblocking: post receives from all, send to all, Waitall. */
    MPI_Request *reqs = malloc(2 * size * sizeof(MPI_Request));
    long *rbuf = malloc(size * sizeof(long)), *sbuf = malloc(size * sizeof(long));
    for (int i = 0; i < size; i++) {
        sbuf[i] = rank * 100 + i;
        MPI_Irecv(&rbuf[i], 1, MPI_LONG, i, 5, MPI_COMM_WORLD, &reqs[i]);
    }
    for (int i = 0; i < size; i++) MPI_Isend(&sbuf[i], 1, MPI_LONG, i, 5, MPI_COMM_WORLD, &reqs[size + i]);
    MPI_Status *sts = malloc(2 * size * sizeof(MPI_Status));
    MPI_Waitall(2 * size, reqs, sts);
    for (int i = 0; i < size; i++) {
        CHECK(rbuf[i] == i * 100 + rank);
        CHECK(sts[i].MPI_SOURCE == i);
        CHECK(reqs[i] == MPI_REQUEST_NULL);
    }

    /* Waitany / Testsome over receives. */
    for (int i = 0; i < size; i++) MPI_Irecv(&rbuf[i], 1, MPI_LONG, i, 6, MPI_COMM_WORLD, &reqs[i]);
    for (int i = 0; i < size; i++) MPI_Send(&sbuf[i], 1, MPI_LONG, i, 6, MPI_COMM_WORLD);
    for (int done = 0; done < size; done++) {
        int idx;
        MPI_Status st;
        MPI_Waitany(size, reqs, &idx, &st);
        CHECK(idx >= 0 && idx < size && st.MPI_SOURCE == idx && rbuf[idx] == idx * 100 + rank);
    }
    int idx;
    MPI_Waitany(size, reqs, &idx, MPI_STATUS_IGNORE);
    CHECK(idx == MPI_UNDEFINED);

    /* PROC_NULL. */
    MPI_Status st;
    MPI_Recv(rbuf, 1, MPI_LONG, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &st);
    CHECK(st.MPI_SOURCE == MPI_PROC_NULL && st.MPI_TAG == MPI_ANY_TAG);
    MPI_Send(sbuf, 1, MPI_LONG, MPI_PROC_NULL, 0, MPI_COMM_WORLD);

    /* Probe then receive exactly the probed size. */
    if (size > 1) {
        if (rank == 1) {
            char text[] = "hello from rank 1";
            MPI_Send(text, (int)strlen(text) + 1, MPI_CHAR, 0, 9, MPI_COMM_WORLD);
        } else if (rank == 0) {
            MPI_Probe(1, 9, MPI_COMM_WORLD, &st);
            int n;
            MPI_Get_count(&st, MPI_CHAR, &n);
            char *text = malloc(n);
            MPI_Recv(text, n, MPI_CHAR, 1, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            CHECK(strcmp(text, "hello from rank 1") == 0);
            free(text);
        }
    }

    /* Errors are returned (with a useful string) under MPI_ERRORS_RETURN. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int cls, len;
    char msg[MPI_MAX_ERROR_STRING];
    int e = MPI_Send(sbuf, 1, MPI_LONG, size, 0, MPI_COMM_WORLD);
    MPI_Error_class(e, &cls);
    CHECK(cls == MPI_ERR_RANK);
    MPI_Error_string(e, msg, &len);
    CHECK(strstr(msg, "MPI_Send") != NULL && (int)strlen(msg) == len);
    e = MPI_Send(sbuf, 1, MPI_LONG, 0, -5, MPI_COMM_WORLD);
    MPI_Error_class(e, &cls);
    CHECK(cls == MPI_ERR_TAG);
    e = MPI_Send(sbuf, -1, MPI_LONG, 0, 0, MPI_COMM_WORLD);
    MPI_Error_class(e, &cls);
    CHECK(cls == MPI_ERR_COUNT);
    e = MPI_Send(sbuf, 1, MPI_LONG, 0, 0, (MPI_Comm)0x84001234);
    MPI_Error_class(e, &cls);
    CHECK(cls == MPI_ERR_COMM);
    e = MPI_Send(sbuf, 1, (MPI_Datatype)0x12345, 0, 0, MPI_COMM_WORLD);
    MPI_Error_class(e, &cls);
    CHECK(cls == MPI_ERR_TYPE);

    /* Truncation. */
    if (size > 1) {
        if (rank == 0) {
            int big[4] = {1, 2, 3, 4};
            MPI_Send(big, 4, MPI_INT, 1, 77, MPI_COMM_WORLD);
        } else if (rank == 1) {
            int small[2];
            e = MPI_Recv(small, 2, MPI_INT, 0, 77, MPI_COMM_WORLD, &st);
            MPI_Error_class(e, &cls);
            CHECK(cls == MPI_ERR_TRUNCATE);
        }
    }

    free(reqs); free(rbuf); free(sbuf); free(sts);
    MPI_Finalize();
    MPI_Finalized(&flag);
    CHECK(flag == 1);
    if (rank == 0) printf("p2p_basic ok on %d ranks\n", size);
    return 0;
}
