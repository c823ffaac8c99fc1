/* Point to point: argument checks and how failed operations report, through
 * the C interface, under MPI_ERRORS_RETURN: persistent requests checked at
 * MPI_Send_init/MPI_Recv_init and usable after their datatype and
 * communicator are freed; a null buffer with a derived datatype refused
 * (MPI_ERR_BUFFER), as is MPI_IN_PLACE, while MPI_BOTTOM with absolute
 * addresses works; the status of a truncated receive (source, tag, what
 * fit; its MPI_ERROR field left alone by the single-completion calls, set
 * by the multiple ones, which return MPI_ERR_IN_STATUS even for one
 * request); empty statuses; MPI_Cancel of a null or inactive request;
 * invalid handles in MPI_Waitany/Testany/Waitsome/Testsome; a request's
 * errors raised on its communicator; a freed receive into a derived
 * datatype delivering. Every rank runs every check, with its neighbours. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

static int error_class(int code) {
    int c;
    MPI_Error_class(code, &c);
    return c;
}

static void test_persistent_checks(int size, int right, int left) {
    int buf[8] = {0}, rb[8];
    MPI_Request r = MPI_REQUEST_NULL;
    /* Bad arguments are found when the request is made, not at MPI_Start. */
    CHECK(error_class(MPI_Send_init(buf, 1, MPI_INT, size, 0, MPI_COMM_WORLD, &r)) == MPI_ERR_RANK);
    CHECK(error_class(MPI_Ssend_init(buf, 1, MPI_INT, right, -1, MPI_COMM_WORLD, &r)) == MPI_ERR_TAG);
    CHECK(error_class(MPI_Bsend_init(buf, -1, MPI_INT, right, 0, MPI_COMM_WORLD, &r)) == MPI_ERR_COUNT);
    CHECK(error_class(MPI_Rsend_init(buf, 1, MPI_DATATYPE_NULL, right, 0, MPI_COMM_WORLD, &r)) == MPI_ERR_TYPE);
    CHECK(error_class(MPI_Recv_init(buf, 1, MPI_INT, -7, 0, MPI_COMM_WORLD, &r)) == MPI_ERR_RANK);
    CHECK(error_class(MPI_Recv_init(buf, -2, MPI_INT, left, 0, MPI_COMM_WORLD, &r)) == MPI_ERR_COUNT);
    CHECK(error_class(MPI_Recv_init(NULL, 2, MPI_INT, left, 0, MPI_COMM_WORLD, &r)) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Send_init_c(buf, 1, MPI_INT, right, -3, MPI_COMM_WORLD, &r)) == MPI_ERR_TAG);
    CHECK(r == MPI_REQUEST_NULL);

    /* The requests keep their datatype and communicator: freeing the
     * handles leaves them usable. */
    MPI_Datatype v;
    MPI_Type_vector(4, 1, 2, MPI_INT, &v);
    MPI_Type_commit(&v);
    MPI_Comm c;
    MPI_Comm_dup(MPI_COMM_WORLD, &c);
    MPI_Request rq[2];
    CHECK(MPI_Send_init(buf, 1, v, right, 3, c, &rq[0]) == MPI_SUCCESS);
    CHECK(MPI_Recv_init(rb, 1, v, left, 3, c, &rq[1]) == MPI_SUCCESS);
    MPI_Type_free(&v);
    MPI_Comm_free(&c);
    for (int it = 0; it < 3; it++) {
        for (int i = 0; i < 8; i++) {
            buf[i] = rank * 100 + i + it;
            rb[i] = -1;
        }
        CHECK(MPI_Startall(2, rq) == MPI_SUCCESS);
        MPI_Status st[2];
        CHECK(MPI_Waitall(2, rq, st) == MPI_SUCCESS);
        for (int i = 0; i < 8; i++) CHECK(rb[i] == (i % 2 ? -1 : left * 100 + i + it));
        CHECK(st[1].MPI_SOURCE == left && st[1].MPI_TAG == 3);
    }
    MPI_Request_free(&rq[0]);
    MPI_Request_free(&rq[1]);
}

static void test_null_buffers(int right, int left) {
    MPI_Request r = MPI_REQUEST_NULL;
    MPI_Status st;
    MPI_Datatype v;
    MPI_Type_vector(2, 1, 2, MPI_INT, &v);
    MPI_Type_commit(&v);
    /* A null buffer that would hold data is refused, not dereferenced. */
    CHECK(error_class(MPI_Send(NULL, 1, v, right, 0, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Send_c(NULL, 1, v, right, 0, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Isend(NULL, 2, v, right, 0, MPI_COMM_WORLD, &r)) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Irecv(NULL, 1, v, left, 0, MPI_COMM_WORLD, &r)) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Recv(NULL, 1, v, left, 0, MPI_COMM_WORLD, &st)) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Sendrecv_replace(NULL, 1, v, right, 0, left, 0, MPI_COMM_WORLD, &st)) == MPI_ERR_BUFFER);
    CHECK(r == MPI_REQUEST_NULL);
    /* MPI_IN_PLACE is no point-to-point buffer. */
    int one = 1;
    CHECK(error_class(MPI_Send(MPI_IN_PLACE, 1, MPI_INT, right, 0, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Irecv(MPI_IN_PLACE, 1, MPI_INT, left, 0, MPI_COMM_WORLD, &r)) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Sendrecv(&one, 1, MPI_INT, right, 0, MPI_IN_PLACE, 1, MPI_INT, left, 0, MPI_COMM_WORLD, &st)) == MPI_ERR_BUFFER);
    CHECK(r == MPI_REQUEST_NULL);
    /* ... but no data needs no buffer. */
    CHECK(MPI_Sendrecv(NULL, 0, v, right, 1, NULL, 0, v, left, 1, MPI_COMM_WORLD, &st) == MPI_SUCCESS);
    CHECK(st.MPI_SOURCE == left && st.MPI_TAG == 1);
    MPI_Type_free(&v);

    /* MPI_BOTTOM with absolute addresses, in both the int and the
     * large-count forms: a struct and a one-block (contiguous) type. */
    struct { int a; double b; } x = {rank, rank + 0.5}, y = {-1, -1.0};
    int bl[2] = {1, 1};
    MPI_Aint disp[2];
    MPI_Datatype ty[2] = {MPI_INT, MPI_DOUBLE}, sx, sy, hx, hy;
    MPI_Get_address(&x.a, &disp[0]);
    MPI_Get_address(&x.b, &disp[1]);
    MPI_Type_create_struct(2, bl, disp, ty, &sx);
    MPI_Type_create_hindexed(1, bl, disp, MPI_INT, &hx);
    MPI_Get_address(&y.a, &disp[0]);
    MPI_Get_address(&y.b, &disp[1]);
    MPI_Type_create_struct(2, bl, disp, ty, &sy);
    MPI_Type_create_hindexed(1, bl, disp, MPI_INT, &hy);
    MPI_Type_commit(&sx);
    MPI_Type_commit(&sy);
    MPI_Type_commit(&hx);
    MPI_Type_commit(&hy);
    CHECK(MPI_Sendrecv(MPI_BOTTOM, 1, sx, right, 2, MPI_BOTTOM, 1, sy, left, 2, MPI_COMM_WORLD, &st) == MPI_SUCCESS);
    CHECK(y.a == left && y.b == left + 0.5);
    y.a = -1;
    CHECK(MPI_Sendrecv_c(MPI_BOTTOM, 1, hx, right, 3, MPI_BOTTOM, 1, hy, left, 3, MPI_COMM_WORLD, &st) == MPI_SUCCESS);
    CHECK(y.a == left);
    MPI_Type_free(&sx);
    MPI_Type_free(&sy);
    MPI_Type_free(&hx);
    MPI_Type_free(&hy);
}

static void test_truncation(int right, int left) {
    int sb[4] = {rank, rank, rank, rank}, rb[4] = {-1, -1, -1, -1};
    MPI_Status st, sts[2];
    MPI_Request r[2];

    /* MPI_Recv: the status tells whose message did not fit, and what did;
     * its MPI_ERROR field is not the single-completion calls' to set. */
    MPI_Request s;
    MPI_Isend(sb, 3, MPI_INT, right, 10, MPI_COMM_WORLD, &s);
    st.MPI_ERROR = -5;
    CHECK(error_class(MPI_Recv(rb, 2, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st)) == MPI_ERR_TRUNCATE);
    CHECK(st.MPI_SOURCE == left && st.MPI_TAG == 10 && st.MPI_ERROR == -5);
    CHECK(rb[2] == -1);
    MPI_Wait(&s, MPI_STATUS_IGNORE);

    /* The same into a derived datatype, through MPI_Wait. */
    MPI_Datatype v;
    MPI_Type_vector(2, 1, 2, MPI_INT, &v);
    MPI_Type_commit(&v);
    rb[0] = rb[1] = rb[2] = -1;
    MPI_Irecv(rb, 1, v, left, 11, MPI_COMM_WORLD, &r[0]);
    MPI_Send(sb, 3, MPI_INT, right, 11, MPI_COMM_WORLD);
    st.MPI_ERROR = -5;
    CHECK(error_class(MPI_Wait(&r[0], &st)) == MPI_ERR_TRUNCATE);
    CHECK(r[0] == MPI_REQUEST_NULL);
    CHECK(st.MPI_SOURCE == left && st.MPI_TAG == 11 && st.MPI_ERROR == -5);
    CHECK(rb[1] == -1 && rb[3] == -1);
    MPI_Type_free(&v);

    /* The multiple-completion calls return MPI_ERR_IN_STATUS, also for one
     * request, and set every status's MPI_ERROR field. */
    MPI_Irecv(rb, 1, MPI_INT, left, 12, MPI_COMM_WORLD, &r[0]);
    MPI_Send(sb, 2, MPI_INT, right, 12, MPI_COMM_WORLD);
    sts[0].MPI_ERROR = -5;
    CHECK(error_class(MPI_Waitall(1, r, sts)) == MPI_ERR_IN_STATUS);
    CHECK(error_class(sts[0].MPI_ERROR) == MPI_ERR_TRUNCATE && sts[0].MPI_TAG == 12 && sts[0].MPI_SOURCE == left);

    MPI_Irecv(rb, 1, MPI_INT, left, 13, MPI_COMM_WORLD, &r[0]);
    MPI_Irecv(rb + 2, 1, MPI_INT, left, 14, MPI_COMM_WORLD, &r[1]);
    MPI_Send(sb, 1, MPI_INT, right, 13, MPI_COMM_WORLD);
    MPI_Send(sb, 3, MPI_INT, right, 14, MPI_COMM_WORLD);
    sts[0].MPI_ERROR = sts[1].MPI_ERROR = -5;
    int flag = 0, rc;
    while (!flag) {
        rc = MPI_Testall(2, r, &flag, sts);
        CHECK(flag ? error_class(rc) == MPI_ERR_IN_STATUS : rc == MPI_SUCCESS);
    }
    CHECK(sts[0].MPI_ERROR == MPI_SUCCESS && sts[0].MPI_TAG == 13);
    CHECK(error_class(sts[1].MPI_ERROR) == MPI_ERR_TRUNCATE && sts[1].MPI_TAG == 14);

    MPI_Irecv(rb, 1, MPI_INT, left, 15, MPI_COMM_WORLD, &r[0]);
    r[1] = MPI_REQUEST_NULL;
    MPI_Send(sb, 2, MPI_INT, right, 15, MPI_COMM_WORLD);
    int outcount = 0, idx[2];
    while (outcount == 0) CHECK(MPI_Testsome(2, r, &outcount, idx, sts) != MPI_SUCCESS || outcount == 0);
    CHECK(outcount == 1 && idx[0] == 0 && error_class(sts[0].MPI_ERROR) == MPI_ERR_TRUNCATE);

    /* A successful call leaves MPI_ERROR alone too. */
    MPI_Sendrecv(sb, 1, MPI_INT, right, 16, rb, 1, MPI_INT, left, 16, MPI_COMM_WORLD, &st);
    st.MPI_ERROR = -5;
    MPI_Sendrecv(sb, 1, MPI_INT, right, 17, rb, 1, MPI_INT, left, 17, MPI_COMM_WORLD, &st);
    CHECK(st.MPI_ERROR == -5 && st.MPI_TAG == 17);
}

static void test_request_handles(int left) {
    int buf = 0, idx = 0, flag = 0, outcount = 0, ind[2];
    MPI_Status st, sts[2];
    MPI_Request r = MPI_REQUEST_NULL;
    /* Nothing to cancel: a null request, an inactive persistent one. */
    CHECK(error_class(MPI_Cancel(&r)) == MPI_ERR_REQUEST);
    MPI_Recv_init(&buf, 1, MPI_INT, left, 20, MPI_COMM_WORLD, &r);
    CHECK(error_class(MPI_Cancel(&r)) == MPI_ERR_REQUEST);
    MPI_Start(&r);
    CHECK(MPI_Cancel(&r) == MPI_SUCCESS);
    MPI_Wait(&r, &st);
    MPI_Test_cancelled(&st, &flag);
    CHECK(flag && r != MPI_REQUEST_NULL);
    MPI_Request_free(&r);

    /* A handle that is no request is an error, not a null request. */
    MPI_Request rq[2] = {MPI_REQUEST_NULL, (MPI_Request)0x2c00abcd};
    CHECK(error_class(MPI_Waitany(2, rq, &idx, &st)) == MPI_ERR_REQUEST);
    CHECK(error_class(MPI_Testany(2, rq, &idx, &flag, &st)) == MPI_ERR_REQUEST);
    CHECK(error_class(MPI_Waitsome(2, rq, &outcount, ind, sts)) == MPI_ERR_REQUEST);
    CHECK(error_class(MPI_Testsome(2, rq, &outcount, ind, sts)) == MPI_ERR_REQUEST);
    CHECK(error_class(MPI_Waitall(2, rq, sts)) == MPI_ERR_REQUEST);
    rq[1] = MPI_REQUEST_NULL;
    st.MPI_ERROR = -5;
    CHECK(MPI_Waitany(2, rq, &idx, &st) == MPI_SUCCESS && idx == MPI_UNDEFINED);
    /* An empty status is the standard's: any source, any tag, no error. */
    CHECK(st.MPI_SOURCE == MPI_ANY_SOURCE && st.MPI_TAG == MPI_ANY_TAG && st.MPI_ERROR == MPI_SUCCESS);
    st.MPI_ERROR = -5;
    CHECK(MPI_Wait(&rq[0], &st) == MPI_SUCCESS && st.MPI_ERROR == MPI_SUCCESS && st.MPI_TAG == MPI_ANY_TAG);

    /* A request's errors go to its communicator's handler (here
     * MPI_ERRORS_RETURN), not to MPI_COMM_SELF's (here fatal): a buffered
     * send started with no buffer attached, an inactive request cancelled. */
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_ARE_FATAL);
    MPI_Bsend_init(&buf, 1, MPI_INT, left, 21, MPI_COMM_WORLD, &rq[0]);
    CHECK(error_class(MPI_Start(&rq[0])) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Startall(1, rq)) == MPI_ERR_BUFFER);
    CHECK(error_class(MPI_Cancel(&rq[0])) == MPI_ERR_REQUEST);
    MPI_Request_free(&rq[0]);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
}

static void test_freed_receive(int right, int left) {
    /* A receive into a derived datatype whose request was freed still
     * delivers: once a later message from the same sender is in, so is its
     * data. */
    int buf[8], s[4] = {rank, rank, rank, rank}, x = 0;
    for (int i = 0; i < 8; i++) buf[i] = -1;
    MPI_Datatype v;
    MPI_Type_vector(4, 1, 2, MPI_INT, &v);
    MPI_Type_commit(&v);
    MPI_Request r;
    MPI_Irecv(buf, 1, v, left, 30, MPI_COMM_WORLD, &r);
    MPI_Type_free(&v);
    CHECK(MPI_Request_free(&r) == MPI_SUCCESS && r == MPI_REQUEST_NULL);
    MPI_Send(s, 4, MPI_INT, right, 30, MPI_COMM_WORLD);
    MPI_Send(&x, 1, MPI_INT, right, 31, MPI_COMM_WORLD);
    MPI_Recv(&x, 1, MPI_INT, left, 31, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    for (int i = 0; i < 8; i++) CHECK(buf[i] == (i % 2 ? -1 : left));
}

int main(int argc, char **argv) {
    int size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;

    test_persistent_checks(size, right, left);
    test_null_buffers(right, left);
    test_truncation(right, left);
    test_request_handles(left);
    test_freed_receive(right, left);

    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) printf("p2p_checks ok on %d ranks\n", size);
    MPI_Finalize();
    return 0;
}
