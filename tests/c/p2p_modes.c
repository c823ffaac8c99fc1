/* Point to point beyond the basics, through the C interface: synchronous
 * mode (an Ssend does not complete before its receive has matched),
 * buffered mode (attach, detach, a buffer too small), matched probes
 * (Mprobe/Improbe, Mrecv/Imrecv, a 4 MiB message, MPI_MESSAGE_NO_PROC),
 * Sendrecv_replace, Isendrecv(_replace), the large-count _c forms, persistent requests started
 * several times, freeing active requests, cancelling a receive,
 * MPI_Request_get_status, and the
 * status setters and MPI_Get_elements. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, nranks;
static MPI_Comm bar; /* a duplicate of the world, for barrier() only */

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

/* A barrier from point to point (this test covers point to point only):
 * nobody leaves before everybody has entered. */
static void barrier(void) {
    int z = 0;
    if (rank == 0) {
        for (int r = 1; r < nranks; r++) MPI_Recv(&z, 0, MPI_INT, r, 0, bar, MPI_STATUS_IGNORE);
        for (int r = 1; r < nranks; r++) MPI_Send(&z, 0, MPI_INT, r, 0, bar);
    } else {
        MPI_Send(&z, 0, MPI_INT, 0, 0, bar);
        MPI_Recv(&z, 0, MPI_INT, 0, 0, bar, MPI_STATUS_IGNORE);
    }
}

static int *ints(int n, int base) {
    int *p = malloc((n + 1) * sizeof(int));
    for (int i = 0; i < n; i++) p[i] = base + i;
    return p;
}

static int error_class(int code) {
    int c;
    MPI_Error_class(code, &c);
    return c;
}

static void test_ssend(int size, int right, int left) {
    /* Each rank Issends to the right; nobody receives until told: every
     * Test says not complete, also after the receiver probed (a probe does
     * not match); once the receive is done, the first Test completes. */
    int sizes[] = {10, 100000, 1 << 20};
    for (int k = 0; k < 3; k++) {
        int n = sizes[k], flag = -1;
        int *out = ints(n, rank * 7919), *in = malloc((n + 1) * sizeof(int));
        MPI_Request req;
        MPI_Issend(out, n, MPI_INT, right, 100 + k, MPI_COMM_WORLD, &req);
        MPI_Test(&req, &flag, MPI_STATUS_IGNORE);
        CHECK(flag == 0);
        barrier();
        MPI_Status st;
        MPI_Probe(left, 100 + k, MPI_COMM_WORLD, &st);
        int c;
        MPI_Get_count(&st, MPI_INT, &c);
        CHECK(c == n && st.MPI_SOURCE == left);
        barrier();
        for (int i = 0; i < 3; i++) {
            MPI_Test(&req, &flag, MPI_STATUS_IGNORE);
            CHECK(flag == 0);
        }
        barrier();
        MPI_Recv(in, n, MPI_INT, left, 100 + k, MPI_COMM_WORLD, &st);
        for (int i = 0; i < n; i++) CHECK(in[i] == left * 7919 + i);
        barrier();
        MPI_Test(&req, &flag, MPI_STATUS_IGNORE);
        CHECK(flag == 1 && req == MPI_REQUEST_NULL);
        free(out);
        free(in);
    }

    /* Blocking Ssend (+ _c) against a posted receive; and a persistent
     * synchronous send started three times. */
    int a = rank, b = -1;
    MPI_Request r;
    MPI_Irecv(&b, 1, MPI_INT, left, 110, MPI_COMM_WORLD, &r);
    MPI_Ssend(&a, 1, MPI_INT, right, 110, MPI_COMM_WORLD);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
    CHECK(b == left);
    MPI_Irecv(&b, 1, MPI_INT, left, 111, MPI_COMM_WORLD, &r);
    MPI_Ssend_c(&a, (MPI_Count)1, MPI_INT, right, 111, MPI_COMM_WORLD);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
    CHECK(b == left);
    MPI_Request ps[2];
    int sv, rv;
    MPI_Ssend_init(&sv, 1, MPI_INT, right, 112, MPI_COMM_WORLD, &ps[0]);
    MPI_Recv_init(&rv, 1, MPI_INT, left, 112, MPI_COMM_WORLD, &ps[1]);
    for (int it = 0; it < 3; it++) {
        sv = rank * 10 + it;
        MPI_Startall(2, ps);
        MPI_Waitall(2, ps, MPI_STATUSES_IGNORE);
        CHECK(rv == left * 10 + it);
        CHECK(ps[0] != MPI_REQUEST_NULL && ps[1] != MPI_REQUEST_NULL);
    }
    MPI_Request_free(&ps[0]);
    MPI_Request_free(&ps[1]);
    (void)size;
}

static void test_bsend(int right, int left) {
    int n = 100, code;
    int need = n * (int)sizeof(int) + MPI_BSEND_OVERHEAD;
    int bufsize = 3 * need;
    char *buf = malloc(bufsize);
    int *out = ints(n, rank * 100), *in = malloc(n * sizeof(int));

    /* No buffer attached: MPI_ERR_BUFFER. */
    code = MPI_Bsend(out, n, MPI_INT, right, 200, MPI_COMM_WORLD);
    CHECK(error_class(code) == MPI_ERR_BUFFER);

    MPI_Buffer_attach(buf, bufsize);
    barrier(); /* nobody receives before all have sent */
    MPI_Bsend(out, n, MPI_INT, right, 200, MPI_COMM_WORLD);
    MPI_Request r;
    MPI_Ibsend(out, n, MPI_INT, right, 201, MPI_COMM_WORLD, &r);
    int flag = 0;
    MPI_Test(&r, &flag, MPI_STATUS_IGNORE); /* buffered: local, complete */
    CHECK(flag == 1);
    MPI_Bsend_c(out, (MPI_Count)n, MPI_INT, right, 202, MPI_COMM_WORLD);
    /* Larger than the whole buffer: the message says by how much. (Small
     * messages are delivered as soon as they are in the ring, so whether
     * the three above still hold their space is up to the timing.) */
    int *big = ints(4 * n, 0);
    code = MPI_Bsend(big, 4 * n, MPI_INT, right, 204, MPI_COMM_WORLD);
    CHECK(error_class(code) == MPI_ERR_BUFFER);
    char msg[MPI_MAX_ERROR_STRING];
    int len;
    MPI_Error_string(code, msg, &len);
    CHECK(strstr(msg, "MPI_BSEND_OVERHEAD") != NULL && strstr(msg, "1696") != NULL);
    free(big);
    /* A second attach is refused. */
    code = MPI_Buffer_attach(buf, bufsize);
    CHECK(error_class(code) == MPI_ERR_BUFFER);

    for (int t = 200; t < 203; t++) {
        MPI_Status st;
        MPI_Recv(in, n, MPI_INT, left, t, MPI_COMM_WORLD, &st);
        CHECK(st.MPI_SOURCE == left && st.MPI_TAG == t);
        for (int i = 0; i < n; i++) CHECK(in[i] == left * 100 + i);
    }
    barrier();

    /* A persistent buffered send, started three times, with the buffer
     * room for all three. */
    MPI_Request p;
    int v;
    MPI_Bsend_init(&v, 1, MPI_INT, right, 205, MPI_COMM_WORLD, &p);
    for (int it = 0; it < 3; it++) {
        v = rank + it;
        MPI_Start(&p);
        MPI_Wait(&p, MPI_STATUS_IGNORE);
    }
    MPI_Request_free(&p);
    for (int it = 0; it < 3; it++) {
        int w;
        MPI_Recv(&w, 1, MPI_INT, left, 205, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        CHECK(w == left + it);
    }

    /* Detach waits for delivery and gives the buffer back. (The receive
     * is posted first: a message that moves by rendezvous is delivered
     * only once its receive has matched.) */
    MPI_Request rr;
    MPI_Irecv(in, n, MPI_INT, left, 206, MPI_COMM_WORLD, &rr);
    MPI_Bsend(out, n, MPI_INT, right, 206, MPI_COMM_WORLD);
    void *addr = NULL;
    int got = 0;
    MPI_Buffer_detach(&addr, &got);
    CHECK(addr == buf && got == bufsize);
    MPI_Wait(&rr, MPI_STATUS_IGNORE);
    CHECK(in[n - 1] == left * 100 + n - 1);
    code = MPI_Bsend(out, n, MPI_INT, right, 207, MPI_COMM_WORLD);
    CHECK(error_class(code) == MPI_ERR_BUFFER);

    /* The large-count attach and detach. */
    MPI_Buffer_attach_c(buf, (MPI_Count)bufsize);
    MPI_Count gotc = 0;
    MPI_Buffer_detach_c(&addr, &gotc);
    CHECK(addr == buf && gotc == bufsize);
    barrier();
    free(buf);
    free(out);
    free(in);
}

static void test_mprobe(int size, int right, int left) {
    /* Two messages with one tag, A then B: Mprobe claims A, a receive
     * then gets B, Mrecv gets A. Sizes: eager, stream, 4 MiB. */
    int sizes[] = {10, 100000, 1 << 20};
    for (int k = 0; k < 3; k++) {
        int n = sizes[k];
        int *a = ints(n, rank * 3 + 1), *b = ints(n, rank * 3 + 2);
        MPI_Request rs[2];
        MPI_Isend(a, n, MPI_INT, right, 300 + k, MPI_COMM_WORLD, &rs[0]);
        MPI_Isend(b, n, MPI_INT, right, 300 + k, MPI_COMM_WORLD, &rs[1]);
        MPI_Message m = MPI_MESSAGE_NULL;
        MPI_Status st;
        MPI_Mprobe(left, 300 + k, MPI_COMM_WORLD, &m, &st);
        CHECK(m != MPI_MESSAGE_NULL && m != MPI_MESSAGE_NO_PROC);
        int c;
        MPI_Get_count(&st, MPI_INT, &c);
        CHECK(c == n && st.MPI_SOURCE == left && st.MPI_TAG == 300 + k);
        int *in = malloc((n + 1) * sizeof(int));
        MPI_Recv(in, n, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        CHECK(st.MPI_SOURCE == left && in[0] == left * 3 + 2 && in[n - 1] == left * 3 + 2 + n - 1);
        memset(in, 0, n * sizeof(int));
        if (k == 1) {
            MPI_Mrecv_c(in, (MPI_Count)n, MPI_INT, &m, &st);
        } else {
            MPI_Mrecv(in, n, MPI_INT, &m, &st);
        }
        CHECK(m == MPI_MESSAGE_NULL);
        MPI_Get_count(&st, MPI_INT, &c);
        CHECK(c == n && st.MPI_SOURCE == left && st.MPI_TAG == 300 + k);
        for (int i = 0; i < n; i++) CHECK(in[i] == left * 3 + 1 + i);
        MPI_Waitall(2, rs, MPI_STATUSES_IGNORE);
        free(a);
        free(b);
        free(in);
    }

    /* Improbe until found, then Imrecv; a 4 MiB message probed while it
     * is still arriving. */
    int n = 1 << 20;
    int *a = ints(n, rank * 11);
    MPI_Request sr;
    MPI_Isend(a, n, MPI_INT, right, 310, MPI_COMM_WORLD, &sr);
    int flag = 0;
    MPI_Message m;
    MPI_Status st;
    while (!flag) MPI_Improbe(left, 310, MPI_COMM_WORLD, &flag, &m, &st);
    CHECK(st.MPI_SOURCE == left && st.MPI_TAG == 310);
    /* Claimed: no other probe sees it. */
    int again = 1;
    MPI_Iprobe(left, 310, MPI_COMM_WORLD, &again, MPI_STATUS_IGNORE);
    CHECK(again == 0);
    int *in = malloc(n * sizeof(int));
    MPI_Request rr;
    MPI_Imrecv(in, n, MPI_INT, &m, &rr);
    CHECK(m == MPI_MESSAGE_NULL);
    MPI_Wait(&rr, &st);
    MPI_Count cc;
    MPI_Get_count_c(&st, MPI_INT, &cc);
    CHECK(cc == n && st.MPI_SOURCE == left);
    for (int i = 0; i < n; i++) CHECK(in[i] == left * 11 + i);
    MPI_Wait(&sr, MPI_STATUS_IGNORE);
    free(a);
    free(in);

    /* An Issend received by Mprobe and Mrecv completes. */
    int x = rank, y = -1;
    MPI_Request s;
    MPI_Issend(&x, 1, MPI_INT, right, 320, MPI_COMM_WORLD, &s);
    MPI_Mprobe(left, 320, MPI_COMM_WORLD, &m, MPI_STATUS_IGNORE);
    barrier();
    MPI_Mrecv(&y, 1, MPI_INT, &m, MPI_STATUS_IGNORE);
    MPI_Wait(&s, MPI_STATUS_IGNORE);
    CHECK(y == left);

    /* MPI_PROC_NULL: MPI_MESSAGE_NO_PROC, which receives nothing. */
    MPI_Mprobe(MPI_PROC_NULL, 0, MPI_COMM_WORLD, &m, &st);
    CHECK(m == MPI_MESSAGE_NO_PROC && st.MPI_SOURCE == MPI_PROC_NULL && st.MPI_TAG == MPI_ANY_TAG);
    y = 42;
    MPI_Mrecv(&y, 1, MPI_INT, &m, &st);
    int c;
    MPI_Get_count(&st, MPI_INT, &c);
    CHECK(m == MPI_MESSAGE_NULL && y == 42 && c == 0 && st.MPI_SOURCE == MPI_PROC_NULL);
    flag = 0;
    MPI_Improbe(MPI_PROC_NULL, 0, MPI_COMM_WORLD, &flag, &m, &st);
    CHECK(flag == 1 && m == MPI_MESSAGE_NO_PROC);
    MPI_Imrecv(&y, 1, MPI_INT, &m, &rr);
    CHECK(m == MPI_MESSAGE_NULL);
    MPI_Wait(&rr, &st);
    CHECK(st.MPI_SOURCE == MPI_PROC_NULL && y == 42);

    /* Receiving MPI_MESSAGE_NULL is an error. */
    m = MPI_MESSAGE_NULL;
    int code = MPI_Mrecv(&y, 1, MPI_INT, &m, MPI_STATUS_IGNORE);
    CHECK(code != MPI_SUCCESS);
    m = (MPI_Message)0x12345;
    code = MPI_Mrecv(&y, 1, MPI_INT, &m, MPI_STATUS_IGNORE);
    CHECK(code != MPI_SUCCESS);
    (void)size;
}

static void test_replace(int right, int left) {
    int sizes[] = {0, 5, 100000};
    for (int k = 0; k < 3; k++) {
        int n = sizes[k];
        int *buf = ints(n, rank * 1000);
        MPI_Status st;
        if (k == 2) {
            MPI_Sendrecv_replace_c(buf, (MPI_Count)n, MPI_INT, right, 400, left, 400, MPI_COMM_WORLD, &st);
        } else {
            MPI_Sendrecv_replace(buf, n, MPI_INT, right, 400, left, 400, MPI_COMM_WORLD, &st);
        }
        int c;
        MPI_Get_count(&st, MPI_INT, &c);
        CHECK(c == n && st.MPI_SOURCE == left && st.MPI_TAG == 400);
        for (int i = 0; i < n; i++) CHECK(buf[i] == left * 1000 + i);
        free(buf);
    }
    /* With MPI_PROC_NULL on both sides nothing changes. */
    int v = 7;
    MPI_Status st;
    MPI_Sendrecv_replace(&v, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &st);
    CHECK(v == 7 && st.MPI_SOURCE == MPI_PROC_NULL);
    /* A message longer than the buffer: MPI_ERR_TRUNCATE. */
    int two[2] = {rank, rank}, one = -1;
    MPI_Request r;
    MPI_Isend(two, 2, MPI_INT, right, 401, MPI_COMM_WORLD, &r);
    int code = MPI_Sendrecv_replace(&one, 1, MPI_INT, MPI_PROC_NULL, 0, left, 401, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    CHECK(error_class(code) == MPI_ERR_TRUNCATE);
    MPI_Wait(&r, MPI_STATUS_IGNORE);

    /* The nonblocking forms (MPI-4): a ring shift of a large and a small
     * buffer at once, completed by MPI_Waitall, MPI_Testany and MPI_Wait,
     * and a strided datatype replaced in place. */
    int n = 300000;
    int *big = ints(n, rank * 7), *got = ints(n, -1);
    MPI_Request rs[2];
    CHECK(MPI_Isendrecv(big, n, MPI_INT, right, 402, got, n, MPI_INT, left, 402, MPI_COMM_WORLD, &rs[0]) == MPI_SUCCESS);
    int small = rank;
    CHECK(MPI_Isendrecv_replace(&small, 1, MPI_INT, right, 403, left, 403, MPI_COMM_WORLD, &rs[1]) == MPI_SUCCESS);
    MPI_Status sts[2];
    CHECK(MPI_Waitall(2, rs, sts) == MPI_SUCCESS);
    int c;
    MPI_Get_count(&sts[0], MPI_INT, &c);
    CHECK(c == n && sts[0].MPI_SOURCE == left && sts[0].MPI_TAG == 402);
    for (int i = 0; i < n; i += 997) CHECK(got[i] == left * 7 + i);
    CHECK(got[n - 1] == left * 7 + n - 1);
    CHECK(small == left && sts[1].MPI_SOURCE == left && sts[1].MPI_TAG == 403);

    MPI_Datatype pairs;
    MPI_Type_vector(3, 2, 4, MPI_INT, &pairs);
    MPI_Type_commit(&pairs);
    int grid[12];
    for (int i = 0; i < 12; i++) grid[i] = 100 * rank + i;
    CHECK(MPI_Isendrecv_replace_c(grid, 1, pairs, right, 404, left, 404, MPI_COMM_WORLD, &r) == MPI_SUCCESS);
    int flag = 0, idx = -1;
    while (!flag) CHECK(MPI_Testany(1, &r, &idx, &flag, &st) == MPI_SUCCESS);
    CHECK(idx == 0 && r == MPI_REQUEST_NULL && st.MPI_SOURCE == left);
    for (int i = 0; i < 12; i++) CHECK(grid[i] == ((i % 4) < 2 && i < 10 ? 100 * left + i : 100 * rank + i));
    MPI_Type_free(&pairs);

    CHECK(MPI_Isendrecv_c(&small, 1, MPI_INT, MPI_PROC_NULL, 0, &v, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &r) == MPI_SUCCESS);
    CHECK(MPI_Wait(&r, &st) == MPI_SUCCESS && st.MPI_SOURCE == MPI_PROC_NULL);
    /* A bad destination is reported before anything starts. */
    code = MPI_Isendrecv(&small, 1, MPI_INT, 1 << 20, 0, &v, 1, MPI_INT, left, 0, MPI_COMM_WORLD, &r);
    CHECK(error_class(code) == MPI_ERR_RANK);
    free(big);
    free(got);
}

static void test_large_count_forms(int right, int left) {
    int n = 1000;
    int *out = ints(n, rank * 5), *in = malloc(n * sizeof(int));
    MPI_Status st;
    MPI_Count c;
    MPI_Request r, s;

    MPI_Irecv_c(in, (MPI_Count)n, MPI_INT, left, 500, MPI_COMM_WORLD, &r);
    MPI_Send_c(out, (MPI_Count)n, MPI_INT, right, 500, MPI_COMM_WORLD);
    MPI_Wait(&r, &st);
    MPI_Get_count_c(&st, MPI_INT, &c);
    CHECK(c == n && in[n - 1] == left * 5 + n - 1);

    MPI_Isend_c(out, (MPI_Count)n, MPI_INT, right, 501, MPI_COMM_WORLD, &s);
    MPI_Recv_c(in, (MPI_Count)n, MPI_INT, left, 501, MPI_COMM_WORLD, &st);
    MPI_Wait(&s, MPI_STATUS_IGNORE);
    CHECK(in[0] == left * 5);

    MPI_Issend_c(out, (MPI_Count)n, MPI_INT, right, 502, MPI_COMM_WORLD, &s);
    MPI_Recv(in, n, MPI_INT, left, 502, MPI_COMM_WORLD, &st);
    MPI_Wait(&s, MPI_STATUS_IGNORE);

    MPI_Irecv(in, n, MPI_INT, left, 503, MPI_COMM_WORLD, &r);
    barrier(); /* receives are posted: ready mode */
    MPI_Rsend_c(out, (MPI_Count)n, MPI_INT, right, 503, MPI_COMM_WORLD);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
    MPI_Irecv(in, n, MPI_INT, left, 504, MPI_COMM_WORLD, &r);
    barrier();
    MPI_Irsend_c(out, (MPI_Count)n, MPI_INT, right, 504, MPI_COMM_WORLD, &s);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
    MPI_Wait(&s, MPI_STATUS_IGNORE);
    CHECK(in[n - 1] == left * 5 + n - 1);

    char b[4 * 1000 + 2 * MPI_BSEND_OVERHEAD];
    MPI_Buffer_attach(b, sizeof b);
    MPI_Ibsend_c(out, (MPI_Count)n, MPI_INT, right, 505, MPI_COMM_WORLD, &s);
    MPI_Wait(&s, MPI_STATUS_IGNORE);
    MPI_Recv(in, n, MPI_INT, left, 505, MPI_COMM_WORLD, &st);
    void *addr;
    int got;
    MPI_Buffer_detach(&addr, &got);
    CHECK(addr == b && got == (int)sizeof b);

    MPI_Sendrecv_c(out, (MPI_Count)n, MPI_INT, right, 506, in, (MPI_Count)n, MPI_INT, left, 506, MPI_COMM_WORLD, &st);
    MPI_Get_elements_c(&st, MPI_INT, &c);
    CHECK(c == n && st.MPI_SOURCE == left);
    MPI_Get_elements_x(&st, MPI_INT, &c);
    CHECK(c == n);
    int ci;
    MPI_Get_elements(&st, MPI_SHORT, &ci);
    CHECK(ci == 2 * n);

    /* Persistent _c forms, started several times with Startall. */
    MPI_Request ps[2];
    MPI_Send_init_c(out, (MPI_Count)n, MPI_INT, right, 507, MPI_COMM_WORLD, &ps[0]);
    MPI_Recv_init_c(in, (MPI_Count)n, MPI_INT, left, 507, MPI_COMM_WORLD, &ps[1]);
    for (int it = 0; it < 4; it++) {
        out[0] = rank * 5 + it;
        MPI_Startall(2, ps);
        MPI_Status sts[2];
        MPI_Waitall(2, ps, sts);
        CHECK(in[0] == left * 5 + it && sts[1].MPI_SOURCE == left);
    }
    MPI_Request_free(&ps[0]);
    MPI_Request_free(&ps[1]);
    MPI_Rsend_init_c(out, (MPI_Count)n, MPI_INT, right, 508, MPI_COMM_WORLD, &ps[0]);
    MPI_Recv_init(in, n, MPI_INT, left, 508, MPI_COMM_WORLD, &ps[1]);
    for (int it = 0; it < 2; it++) {
        MPI_Start(&ps[1]);
        barrier();
        MPI_Start(&ps[0]);
        MPI_Waitall(2, ps, MPI_STATUSES_IGNORE);
    }
    MPI_Request_free(&ps[0]);
    MPI_Request_free(&ps[1]);
    MPI_Ssend_init_c(out, (MPI_Count)n, MPI_INT, right, 509, MPI_COMM_WORLD, &ps[0]);
    MPI_Irecv(in, n, MPI_INT, left, 509, MPI_COMM_WORLD, &ps[1]);
    MPI_Start(&ps[0]);
    MPI_Waitall(2, ps, MPI_STATUSES_IGNORE);
    MPI_Request_free(&ps[0]);

    /* Large counts are refused when negative. */
    int code = MPI_Send_c(out, (MPI_Count)-1, MPI_INT, right, 510, MPI_COMM_WORLD);
    CHECK(error_class(code) == MPI_ERR_COUNT);
    free(out);
    free(in);
}

static void test_requests_and_status(int right, int left) {
    /* Cancel of a receive nothing matches. */
    int v;
    MPI_Request r;
    MPI_Status st;
    MPI_Irecv(&v, 1, MPI_INT, left, 999, MPI_COMM_WORLD, &r);
    MPI_Cancel(&r);
    MPI_Wait(&r, &st);
    int flag = 0;
    MPI_Test_cancelled(&st, &flag);
    CHECK(flag == 1);

    /* Request_get_status: not complete before the send, then complete
     * (the request stays valid until waited for). */
    MPI_Irecv(&v, 1, MPI_INT, left, 600, MPI_COMM_WORLD, &r);
    MPI_Request_get_status(r, &flag, &st);
    CHECK(flag == 0);
    barrier();
    int x = rank;
    MPI_Send(&x, 1, MPI_INT, right, 600, MPI_COMM_WORLD);
    flag = 0;
    while (!flag) MPI_Request_get_status(r, &flag, &st);
    CHECK(r != MPI_REQUEST_NULL && st.MPI_SOURCE == left && st.MPI_TAG == 600);
    MPI_Wait(&r, &st);
    CHECK(r == MPI_REQUEST_NULL && v == left);

    /* Status setters. */
    MPI_Status s;
    memset(&s, 0, sizeof s);
    MPI_Status_set_elements(&s, MPI_INT, 5);
    int c;
    MPI_Get_count(&s, MPI_INT, &c);
    CHECK(c == 5);
    MPI_Get_count(&s, MPI_CHAR, &c);
    CHECK(c == 20);
    MPI_Status_set_elements_x(&s, MPI_DOUBLE, (MPI_Count)3000000000LL);
    MPI_Count cc;
    MPI_Get_elements_x(&s, MPI_DOUBLE, &cc);
    CHECK(cc == 3000000000LL);
    MPI_Get_count(&s, MPI_DOUBLE, &c);
    CHECK(c == MPI_UNDEFINED);
    MPI_Get_elements(&s, MPI_INT, &c);
    CHECK(c == MPI_UNDEFINED);
    MPI_Status_set_cancelled(&s, 1);
    MPI_Test_cancelled(&s, &flag);
    CHECK(flag == 1);
    MPI_Get_elements_x(&s, MPI_DOUBLE, &cc);
    CHECK(cc == 3000000000LL);
    MPI_Status_set_cancelled(&s, 0);
    MPI_Test_cancelled(&s, &flag);
    CHECK(flag == 0);
    MPI_Status_set_elements(&s, MPI_INT, 3);
    MPI_Get_elements(&s, MPI_SHORT, &c);
    CHECK(c == 6);
    MPI_Get_elements(&s, MPI_DOUBLE, &c);
    CHECK(c == MPI_UNDEFINED);
    int code = MPI_Status_set_elements(&s, MPI_INT, -1);
    CHECK(error_class(code) == MPI_ERR_COUNT);
}

/* MPI_Request_free of active requests returns at once; the operations go
 * on: a freed receive still gets its message (non-overtaking: once the
 * message sent after it has arrived, it has too), a freed send is still
 * delivered, and a freed receive into a derived datatype is unpacked. */
static void test_request_free(int right, int left) {
    int got[4] = {-1, -1, -1, -1}, strided[8], after = -1;
    for (int i = 0; i < 8; i++) strided[i] = -1;
    MPI_Datatype every_other;
    MPI_Type_vector(4, 1, 2, MPI_INT, &every_other);
    MPI_Type_commit(&every_other);
    MPI_Request r;
    /* Posted before the sender has even started: it cannot have matched. */
    CHECK(MPI_Irecv(got, 4, MPI_INT, left, 40, MPI_COMM_WORLD, &r) == MPI_SUCCESS);
    CHECK(MPI_Request_free(&r) == MPI_SUCCESS);
    CHECK(r == MPI_REQUEST_NULL);
    CHECK(MPI_Irecv(strided, 1, every_other, left, 41, MPI_COMM_WORLD, &r) == MPI_SUCCESS);
    CHECK(MPI_Request_free(&r) == MPI_SUCCESS);
    barrier();
    int *out = ints(4, 100 * rank);
    CHECK(MPI_Isend(out, 4, MPI_INT, right, 40, MPI_COMM_WORLD, &r) == MPI_SUCCESS);
    CHECK(MPI_Request_free(&r) == MPI_SUCCESS);
    CHECK(MPI_Send(out, 4, MPI_INT, right, 41, MPI_COMM_WORLD) == MPI_SUCCESS);
    /* Nonblocking: a standard send may wait for its receive (it does under
     * a forced rendezvous protocol). */
    int mark = rank;
    MPI_Request marks[2];
    CHECK(MPI_Isend(&mark, 1, MPI_INT, right, 40, MPI_COMM_WORLD, &marks[0]) == MPI_SUCCESS);
    CHECK(MPI_Isend(&mark, 1, MPI_INT, right, 41, MPI_COMM_WORLD, &marks[1]) == MPI_SUCCESS);
    CHECK(MPI_Recv(&after, 1, MPI_INT, left, 40, MPI_COMM_WORLD, MPI_STATUS_IGNORE) == MPI_SUCCESS);
    CHECK(after == left);
    CHECK(MPI_Recv(&after, 1, MPI_INT, left, 41, MPI_COMM_WORLD, MPI_STATUS_IGNORE) == MPI_SUCCESS);
    CHECK(after == left);
    CHECK(MPI_Waitall(2, marks, MPI_STATUSES_IGNORE) == MPI_SUCCESS);
    /* Any later request lets the freed ones finish (unpacking included). */
    CHECK(MPI_Irecv(&after, 0, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &r) == MPI_SUCCESS);
    CHECK(MPI_Wait(&r, MPI_STATUS_IGNORE) == MPI_SUCCESS);
    for (int i = 0; i < 4; i++) {
        CHECK(got[i] == 100 * left + i);
        CHECK(strided[2 * i] == 100 * left + i);
        CHECK(strided[2 * i + 1] == -1);
    }
    barrier();
    free(out);
    MPI_Type_free(&every_other);
}

int main(int argc, char **argv) {
    int size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    nranks = size;
    MPI_Comm_dup(MPI_COMM_WORLD, &bar);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;

    test_ssend(size, right, left);
    test_bsend(right, left);
    test_mprobe(size, right, left);
    test_replace(right, left);
    test_large_count_forms(right, left);
    test_requests_and_status(right, left);
    test_request_free(right, left);

    barrier();
    if (rank == 0) printf("p2p_modes ok on %d ranks\n", size);
    MPI_Finalize();
    return 0;
}
