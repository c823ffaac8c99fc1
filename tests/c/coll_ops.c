/* Reductions through the C interface: every predefined op on several
 * basic types with Reduce/Allreduce/Scan/Exscan/Reduce_scatter(_block)
 * and their _c and MPI_IN_PLACE forms, MINLOC/MAXLOC on MPI_DOUBLE_INT
 * and MPI_2INT, user ops (a non-commutative 2x2 matrix product checked
 * against a serial product, MPI_Op_create_c, an op on a non-contiguous
 * type), MPI_Reduce_local, and error classes under MPI_ERRORS_RETURN. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

#define N 37

/* Contribution of rank r at index i (small, so products do not overflow). */
static long v(int r, int i) { return (r * 7 + i * 3) % 5 + 1 + (i % 2 ? 0 : r % 3); }

/* The reduction of ranks lo..hi (inclusive) at index i for op, in long. */
static long serial(MPI_Op op, int lo, int hi, int i) {
    long a = v(lo, i);
    for (int r = lo + 1; r <= hi; r++) {
        long b = v(r, i);
        if (op == MPI_MAX) a = a > b ? a : b;
        else if (op == MPI_MIN) a = a < b ? a : b;
        else if (op == MPI_SUM) a = a + b;
        else if (op == MPI_PROD) a = (a * b) % 100000;
        else if (op == MPI_LAND) a = a && (b % 2);
        else if (op == MPI_LOR) a = a || (b % 2);
        else if (op == MPI_LXOR) a = !a != !(b % 2);
        else if (op == MPI_BAND) a = a & b;
        else if (op == MPI_BOR) a = a | b;
        else if (op == MPI_BXOR) a = a ^ b;
    }
    return a;
}

/* What rank r contributes for op (logical ops get 0/1 values; products stay small). */
static long contrib(MPI_Op op, int r, int i) {
    if (op == MPI_LAND || op == MPI_LOR || op == MPI_LXOR) return v(r, i) % 2;
    return v(r, i);
}

static long expect(MPI_Op op, int lo, int hi, int i) {
    if (op == MPI_LAND || op == MPI_LOR || op == MPI_LXOR) {
        long a = contrib(op, lo, i);
        for (int r = lo + 1; r <= hi; r++) {
            long b = contrib(op, r, i);
            if (op == MPI_LAND) a = a && b;
            if (op == MPI_LOR) a = a || b;
            if (op == MPI_LXOR) a = !a != !b;
        }
        return a;
    }
    if (op == MPI_PROD) {
        long a = 1;
        for (int r = lo; r <= hi; r++) a *= v(r, i);
        return a;
    }
    return serial(op, lo, hi, i);
}

/* Runs every all-rank reduction of `op` on type `t` whose C type is
 * described by the load/store macros below. */
#define TEST_TYPE(CT, MT, OPS, NOPS)                                                        \
    do {                                                                                    \
        for (int o = 0; o < NOPS; o++) {                                                    \
            MPI_Op op = OPS[o];                                                             \
            if (op == MPI_PROD && size > 4 && sizeof(CT) == 1) continue;                    \
            CT s[N], r[N], w[N];                                                            \
            for (int i = 0; i < N; i++) s[i] = (CT)contrib(op, rank, i);                    \
            int root = size - 1;                                                            \
            for (int i = 0; i < N; i++) r[i] = (CT)99;                                      \
            CHECK(MPI_Reduce(s, r, N, MT, op, root, MPI_COMM_WORLD) == MPI_SUCCESS);        \
            if (rank == root)                                                               \
                for (int i = 0; i < N; i++) CHECK(r[i] == (CT)expect(op, 0, size - 1, i));  \
            for (int i = 0; i < N; i++) w[i] = s[i];                                        \
            if (rank == 0)                                                                  \
                CHECK(MPI_Reduce_c(MPI_IN_PLACE, w, N, MT, op, 0, MPI_COMM_WORLD) == MPI_SUCCESS); \
            else                                                                            \
                CHECK(MPI_Reduce_c(w, NULL, N, MT, op, 0, MPI_COMM_WORLD) == MPI_SUCCESS);  \
            if (rank == 0)                                                                  \
                for (int i = 0; i < N; i++) CHECK(w[i] == (CT)expect(op, 0, size - 1, i));  \
            CHECK(MPI_Allreduce(s, r, N, MT, op, MPI_COMM_WORLD) == MPI_SUCCESS);           \
            for (int i = 0; i < N; i++) CHECK(r[i] == (CT)expect(op, 0, size - 1, i));     \
            for (int i = 0; i < N; i++) w[i] = s[i];                                        \
            CHECK(MPI_Allreduce_c(MPI_IN_PLACE, w, N, MT, op, MPI_COMM_WORLD) == MPI_SUCCESS); \
            for (int i = 0; i < N; i++) CHECK(w[i] == (CT)expect(op, 0, size - 1, i));     \
            CHECK(MPI_Scan(s, r, N, MT, op, MPI_COMM_WORLD) == MPI_SUCCESS);                \
            for (int i = 0; i < N; i++) CHECK(r[i] == (CT)expect(op, 0, rank, i));         \
            for (int i = 0; i < N; i++) w[i] = s[i];                                        \
            CHECK(MPI_Scan_c(MPI_IN_PLACE, w, N, MT, op, MPI_COMM_WORLD) == MPI_SUCCESS);   \
            for (int i = 0; i < N; i++) CHECK(w[i] == (CT)expect(op, 0, rank, i));         \
            for (int i = 0; i < N; i++) r[i] = (CT)99;                                      \
            CHECK(MPI_Exscan(s, r, N, MT, op, MPI_COMM_WORLD) == MPI_SUCCESS);              \
            for (int i = 0; i < N; i++)                                                     \
                CHECK(rank == 0 ? r[i] == (CT)99 : r[i] == (CT)expect(op, 0, rank - 1, i)); \
            for (int i = 0; i < N; i++) w[i] = s[i];                                        \
            CHECK(MPI_Exscan_c(MPI_IN_PLACE, w, N, MT, op, MPI_COMM_WORLD) == MPI_SUCCESS); \
            if (rank > 0)                                                                   \
                for (int i = 0; i < N; i++) CHECK(w[i] == (CT)expect(op, 0, rank - 1, i)); \
        }                                                                                   \
    } while (0)

static void test_predefined(void) {
    MPI_Op all_int[] = {MPI_MAX, MPI_MIN, MPI_SUM, MPI_PROD, MPI_LAND, MPI_LOR, MPI_LXOR, MPI_BAND, MPI_BOR, MPI_BXOR};
    MPI_Op arith[] = {MPI_MAX, MPI_MIN, MPI_SUM, MPI_PROD};
    MPI_Op bits[] = {MPI_BAND, MPI_BOR, MPI_BXOR};
    TEST_TYPE(int, MPI_INT, all_int, 10);
    TEST_TYPE(long, MPI_LONG, all_int, 10);
    TEST_TYPE(unsigned, MPI_UNSIGNED, all_int, 10);
    TEST_TYPE(short, MPI_SHORT, all_int, 10);
    TEST_TYPE(long long, MPI_LONG_LONG, all_int, 10);
    TEST_TYPE(unsigned char, MPI_UNSIGNED_CHAR, all_int, 10);
    TEST_TYPE(unsigned char, MPI_BYTE, bits, 3);
    TEST_TYPE(double, MPI_DOUBLE, arith, 4);
    TEST_TYPE(float, MPI_FLOAT, arith, 4);
}

static void test_reduce_scatter(void) {
    /* Rank r gets r + 1 ints; sum over ranks of (r * 10 + i). */
    int *counts = malloc(size * sizeof(int));
    MPI_Count *cc = malloc(size * sizeof(MPI_Count));
    int total = 0;
    for (int r = 0; r < size; r++) { counts[r] = r + 1; cc[r] = r + 1; total += r + 1; }
    int *s = malloc(total * sizeof(int)), *w = malloc(total * sizeof(int)), out[64];
    for (int i = 0; i < total; i++) s[i] = rank * 10 + i;
    int start = rank * (rank + 1) / 2;
    int base = 10 * size * (size - 1) / 2;
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < 64; i++) out[i] = -1;
        if (pass == 0) CHECK(MPI_Reduce_scatter(s, out, counts, MPI_INT, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (pass == 1) CHECK(MPI_Reduce_scatter_c(s, out, cc, MPI_INT, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (pass == 2) {
            memcpy(w, s, total * sizeof(int));
            CHECK(MPI_Reduce_scatter(MPI_IN_PLACE, w, counts, MPI_INT, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS);
            memcpy(out, w, (rank + 1) * sizeof(int));
        }
        for (int i = 0; i < rank + 1; i++) CHECK(out[i] == base + size * (start + i));
        if (pass < 2) CHECK(out[rank + 1] == -1);
    }
    /* Block form: 3 each. */
    int k = 3;
    int *bs = malloc(k * size * sizeof(int)), bo[3];
    for (int i = 0; i < k * size; i++) bs[i] = rank + i;
    CHECK(MPI_Reduce_scatter_block(bs, bo, k, MPI_INT, MPI_MAX, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int i = 0; i < k; i++) CHECK(bo[i] == size - 1 + rank * k + i);
    CHECK(MPI_Reduce_scatter_block_c(MPI_IN_PLACE, bs, k, MPI_INT, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int i = 0; i < k; i++) CHECK(bs[i] == size * (size - 1) / 2 + size * (rank * k + i));
    free(bs); free(counts); free(cc); free(s); free(w);
}

typedef struct { double v; int i; } di_t;

static void test_loc(void) {
    /* MAXLOC/MINLOC: value (rank * 3) % size at index 0 has ties. */
    di_t s[2], r[2];
    s[0].v = (rank * 3) % size; s[0].i = rank;
    s[1].v = -rank * 1.5; s[1].i = rank + 100;
    CHECK(MPI_Allreduce(s, r, 2, MPI_DOUBLE_INT, MPI_MAXLOC, MPI_COMM_WORLD) == MPI_SUCCESS);
    double mx = -1; int at = -1;
    for (int q = 0; q < size; q++) if ((q * 3) % size > mx) { mx = (q * 3) % size; at = q; }
    CHECK(r[0].v == mx && r[0].i == at);
    CHECK(r[1].v == 0 && r[1].i == 100);
    CHECK(MPI_Allreduce(s, r, 2, MPI_DOUBLE_INT, MPI_MINLOC, MPI_COMM_WORLD) == MPI_SUCCESS);
    CHECK(r[0].v == 0 && r[0].i == 0);
    CHECK(r[1].v == -(size - 1) * 1.5 && r[1].i == size - 1 + 100);
    /* Ties: everyone has the same value; MINLOC and MAXLOC take the lowest index. */
    int p[2] = {5, size - rank}, q[2];
    CHECK(MPI_Allreduce(p, q, 1, MPI_2INT, MPI_MAXLOC, MPI_COMM_WORLD) == MPI_SUCCESS);
    CHECK(q[0] == 5 && q[1] == 1);
    CHECK(MPI_Reduce(p, q, 1, MPI_2INT, MPI_MINLOC, 0, MPI_COMM_WORLD) == MPI_SUCCESS);
    if (rank == 0) CHECK(q[0] == 5 && q[1] == 1);
    /* Scan with MAXLOC on MPI_DOUBLE_INT (non-contiguous packing). */
    CHECK(MPI_Scan(s, r, 2, MPI_DOUBLE_INT, MPI_MAXLOC, MPI_COMM_WORLD) == MPI_SUCCESS);
    mx = -1; at = -1;
    for (int k = 0; k <= rank; k++) if ((k * 3) % size > mx) { mx = (k * 3) % size; at = k; }
    CHECK(r[0].v == mx && r[0].i == at && r[1].v == 0 && r[1].i == 100);
}

/* 2x2 integer matrices, row-major; inout = in x inout. */
static void matmul(void *in, void *inout, int *len, MPI_Datatype *t) {
    (void)t;
    long *a = in, *b = inout;
    for (int k = 0; k < *len; k++, a += 4, b += 4) {
        long c[4] = {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
                     a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]};
        memcpy(b, c, sizeof c);
    }
}

static void mat_of(int r, int k, long *m) {
    m[0] = 1 + (r + k) % 3; m[1] = r % 2; m[2] = (k + 1) % 2; m[3] = 1 + r % 2;
}

static void serial_prod(int lo, int hi, int k, long *out) {
    long acc[4];
    mat_of(lo, k, acc);
    for (int r = lo + 1; r <= hi; r++) {
        long m[4], c[4];
        mat_of(r, k, m);
        c[0] = acc[0] * m[0] + acc[1] * m[2]; c[1] = acc[0] * m[1] + acc[1] * m[3];
        c[2] = acc[2] * m[0] + acc[3] * m[2]; c[3] = acc[2] * m[1] + acc[3] * m[3];
        memcpy(acc, c, sizeof c);
    }
    memcpy(out, acc, sizeof acc);
}

static int calls_c;
static void sum_c(void *in, void *inout, MPI_Count *len, MPI_Datatype *t) {
    CHECK(*t == MPI_DOUBLE);
    double *a = in, *b = inout;
    for (MPI_Count i = 0; i < *len; i++) b[i] += a[i];
    calls_c++;
}

/* On MPI_DOUBLE_INT: sum the values, keep the larger index. */
static void di_op(void *in, void *inout, int *len, MPI_Datatype *t) {
    CHECK(*t == MPI_DOUBLE_INT);
    di_t *a = in, *b = inout;
    for (int i = 0; i < *len; i++) {
        b[i].v += a[i].v;
        if (a[i].i > b[i].i) b[i].i = a[i].i;
    }
}

static void test_user_ops(void) {
    MPI_Op mm, sc, dop;
    int commute = -1;
    CHECK(MPI_Op_create(matmul, 0, &mm) == MPI_SUCCESS);
    CHECK(MPI_Op_commutative(mm, &commute) == MPI_SUCCESS && commute == 0);
    CHECK(MPI_Op_commutative(MPI_SUM, &commute) == MPI_SUCCESS && commute == 1);
    CHECK(MPI_Op_free(&mm) == MPI_SUCCESS);
    CHECK(mm == MPI_OP_NULL);

    CHECK(MPI_Op_create_c(sum_c, 1, &sc) == MPI_SUCCESS);
    double ds[5], dr[5];
    for (int i = 0; i < 5; i++) ds[i] = rank + i * 0.5;
    CHECK(MPI_Allreduce(ds, dr, 5, MPI_DOUBLE, sc, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int i = 0; i < 5; i++) CHECK(dr[i] == size * (size - 1) / 2.0 + size * i * 0.5);
    CHECK(size == 1 || calls_c > 0);
    MPI_Op_free(&sc);

    CHECK(MPI_Op_create(di_op, 1, &dop) == MPI_SUCCESS);
    di_t a[3], b[3];
    for (int i = 0; i < 3; i++) { a[i].v = rank + i; a[i].i = rank * 10 + i; }
    CHECK(MPI_Allreduce(a, b, 3, MPI_DOUBLE_INT, dop, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int i = 0; i < 3; i++) CHECK(b[i].v == size * (size - 1) / 2.0 + size * i && b[i].i == (size - 1) * 10 + i);
    CHECK(MPI_Reduce_local(a, b, 3, MPI_DOUBLE_INT, dop) == MPI_SUCCESS);
    for (int i = 0; i < 3; i++) CHECK(b[i].v == size * (size - 1) / 2.0 + size * i + rank + i);
    MPI_Op_free(&dop);
}

/* One 2x2 matrix of longs travels as one element of a predefined 32-byte
 * type (MPI_C_LONG_DOUBLE_COMPLEX), so that len counts matrices. */
#define MAT MPI_C_LONG_DOUBLE_COMPLEX

static void test_noncommutative(void) {
    MPI_Op mm;
    CHECK(MPI_Op_create(matmul, 0, &mm) == MPI_SUCCESS);
    int K = 3;
    long s[12], r[12], e[4];
    for (int k = 0; k < K; k++) mat_of(rank, k, s + 4 * k);
    for (int root = 0; root < size; root += 3) {
        CHECK(MPI_Reduce(s, r, K, MAT, mm, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (rank == root)
            for (int k = 0; k < K; k++) {
                serial_prod(0, size - 1, k, e);
                for (int j = 0; j < 4; j++) CHECK(r[4 * k + j] == e[j]);
            }
    }
    CHECK(MPI_Allreduce(s, r, K, MAT, mm, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int k = 0; k < K; k++) {
        serial_prod(0, size - 1, k, e);
        for (int j = 0; j < 4; j++) CHECK(r[4 * k + j] == e[j]);
    }
    CHECK(MPI_Scan(s, r, K, MAT, mm, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int k = 0; k < K; k++) {
        serial_prod(0, rank, k, e);
        for (int j = 0; j < 4; j++) CHECK(r[4 * k + j] == e[j]);
    }
    CHECK(MPI_Exscan(s, r, K, MAT, mm, MPI_COMM_WORLD) == MPI_SUCCESS);
    if (rank > 0)
        for (int k = 0; k < K; k++) {
            serial_prod(0, rank - 1, k, e);
            for (int j = 0; j < 4; j++) CHECK(r[4 * k + j] == e[j]);
        }
    /* Reduce_scatter_block: one matrix per rank. */
    long *bs = malloc(4 * size * sizeof(long)), bo[4];
    for (int q = 0; q < size; q++) mat_of(rank, q, bs + 4 * q);
    CHECK(MPI_Reduce_scatter_block(bs, bo, 1, MAT, mm, MPI_COMM_WORLD) == MPI_SUCCESS);
    serial_prod(0, size - 1, rank, e);
    for (int j = 0; j < 4; j++) CHECK(bo[j] == e[j]);
    free(bs);
    /* Large: many chunks of the engine (allreduce's long-vector path). */
    int M = 20000;
    long *ls = malloc(4 * M * sizeof(long)), *lr = malloc(4 * M * sizeof(long));
    for (int k = 0; k < M; k++) mat_of(rank, k % 7, ls + 4 * k);
    CHECK(MPI_Allreduce(ls, lr, M, MAT, mm, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int k = 0; k < M; k++) {
        serial_prod(0, size - 1, k % 7, e);
        for (int j = 0; j < 4; j++) CHECK(lr[4 * k + j] == e[j]);
    }
    free(ls); free(lr);
    /* Reduce_local: inout = in x inout. */
    long x[4], y[4];
    mat_of(1, 0, x); mat_of(2, 1, y);
    long c[4] = {x[0] * y[0] + x[1] * y[2], x[0] * y[1] + x[1] * y[3], x[2] * y[0] + x[3] * y[2], x[2] * y[1] + x[3] * y[3]};
    CHECK(MPI_Reduce_local(x, y, 1, MAT, mm) == MPI_SUCCESS);
    for (int j = 0; j < 4; j++) CHECK(y[j] == c[j]);
    MPI_Op_free(&mm);
}

/* A user op on elements larger than a collective chunk (5000 matrices,
 * 160 000 bytes, per element): the contributions travel whole and are
 * multiplied in rank order. */
#define NB 5000
static MPI_Datatype BIG;
static void bigmul(void *in, void *inout, int *len, MPI_Datatype *t) {
    CHECK(*t == BIG);
    int n = *len * NB;
    matmul(in, inout, &n, t);
}

static void check_big(const long *m, int count, int lo, int hi) {
    for (int k = 0; k < count * NB; k++) {
        long want[4];
        serial_prod(lo, hi, k, want);
        if (memcmp(m + 4 * k, want, sizeof want)) {
            CHECK(!"big element product");
            return;
        }
    }
}

static void test_big_elements(void) {
    MPI_Op op;
    MPI_Type_contiguous(4 * NB, MPI_LONG, &BIG);
    MPI_Type_commit(&BIG);
    CHECK(MPI_Op_create(bigmul, 0, &op) == MPI_SUCCESS);
    int count = 2;
    long *s = malloc(sizeof(long) * 4 * NB * count * size), *r = malloc(sizeof(long) * 4 * NB * count * size);
    for (int k = 0; k < NB * count * size; k++) mat_of(rank, k, s + 4 * k);
    CHECK(MPI_Allreduce(s, r, count, BIG, op, MPI_COMM_WORLD) == MPI_SUCCESS);
    check_big(r, count, 0, size - 1);
    memset(r, 0, sizeof(long) * 4 * NB * count);
    CHECK(MPI_Reduce(s, r, count, BIG, op, size / 2, MPI_COMM_WORLD) == MPI_SUCCESS);
    if (rank == size / 2) check_big(r, count, 0, size - 1);
    memcpy(r, s, sizeof(long) * 4 * NB * count);
    CHECK(MPI_Scan(MPI_IN_PLACE, r, count, BIG, op, MPI_COMM_WORLD) == MPI_SUCCESS);
    check_big(r, count, 0, rank);
    CHECK(MPI_Exscan(s, r, 1, BIG, op, MPI_COMM_WORLD) == MPI_SUCCESS);
    if (rank > 0) check_big(r, 1, 0, rank - 1);
    CHECK(MPI_Reduce_scatter_block(s, r, 1, BIG, op, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int k = 0; k < NB; k++) {
        long want[4];
        serial_prod(0, size - 1, rank * NB + k, want);
        if (memcmp(r + 4 * k, want, sizeof want)) { CHECK(!"reduce_scatter_block of big elements"); break; }
    }
    CHECK(MPI_Reduce_local(s, r, 1, BIG, op) == MPI_SUCCESS);
    MPI_Op_free(&op);
    MPI_Type_free(&BIG);
    free(s);
    free(r);
}

static void test_reduce_local(void) {
    int a[4] = {1, 5, 3, 8}, b[4] = {4, 2, 3, 1};
    CHECK(MPI_Reduce_local(a, b, 4, MPI_INT, MPI_MAX) == MPI_SUCCESS);
    CHECK(b[0] == 4 && b[1] == 5 && b[2] == 3 && b[3] == 8);
    double x[2] = {1.5, 2}, y[2] = {2, 3};
    CHECK(MPI_Reduce_local_c(x, y, 2, MPI_DOUBLE, MPI_PROD) == MPI_SUCCESS);
    CHECK(y[0] == 3 && y[1] == 6);
    di_t p[2] = {{1, 1}, {5, 2}}, q[2] = {{3, 7}, {5, 0}};
    CHECK(MPI_Reduce_local(p, q, 2, MPI_DOUBLE_INT, MPI_MINLOC) == MPI_SUCCESS);
    CHECK(q[0].v == 1 && q[0].i == 1 && q[1].v == 5 && q[1].i == 0);
}

static int class_of(int err) {
    int c;
    MPI_Error_class(err, &c);
    return c;
}

static void test_errors(void) {
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN); /* Reduce_local, Op_free */
    int a[4] = {1, 2, 3, 4}, b[4 * 64];
    CHECK(class_of(MPI_Bcast(a, 1, MPI_INT, size, MPI_COMM_WORLD)) == MPI_ERR_ROOT);
    CHECK(class_of(MPI_Reduce(a, b, 1, MPI_INT, MPI_SUM, -1, MPI_COMM_WORLD)) == MPI_ERR_ROOT);
    CHECK(class_of(MPI_Gather(a, 1, MPI_INT, b, 1, MPI_INT, size + 3, MPI_COMM_WORLD)) == MPI_ERR_ROOT);
    CHECK(class_of(MPI_Allreduce(a, b, 1, MPI_INT, MPI_OP_NULL, MPI_COMM_WORLD)) == MPI_ERR_OP);
    CHECK(class_of(MPI_Allreduce(a, b, 1, MPI_INT, (MPI_Op)0x12345678, MPI_COMM_WORLD)) == MPI_ERR_OP);
    CHECK(class_of(MPI_Allreduce(a, b, 1, MPI_DOUBLE, MPI_BAND, MPI_COMM_WORLD)) == MPI_ERR_OP);
    CHECK(class_of(MPI_Allreduce(a, b, 1, MPI_INT, MPI_MAXLOC, MPI_COMM_WORLD)) == MPI_ERR_OP);
    CHECK(class_of(MPI_Reduce_local(a, b, 1, MPI_FLOAT, MPI_LXOR)) == MPI_ERR_OP);
    CHECK(class_of(MPI_Allreduce(a, b, -1, MPI_INT, MPI_SUM, MPI_COMM_WORLD)) == MPI_ERR_COUNT);
    CHECK(class_of(MPI_Allreduce(a, b, 1, MPI_DATATYPE_NULL, MPI_SUM, MPI_COMM_WORLD)) == MPI_ERR_TYPE);
    CHECK(class_of(MPI_Allreduce(a, a, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Bcast(MPI_IN_PLACE, 1, MPI_INT, 0, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Barrier(MPI_COMM_NULL)) == MPI_ERR_COMM);
    /* Signatures that disagree in bytes, on every rank alike. */
    CHECK(class_of(MPI_Allgather(a, 2, MPI_INT, b, 3, MPI_INT, MPI_COMM_WORLD)) == MPI_ERR_COUNT);
    CHECK(class_of(MPI_Alltoall(a, 1, MPI_INT, b, 1, MPI_DOUBLE, MPI_COMM_WORLD)) == MPI_ERR_COUNT);
    int e = MPI_Gather(a, 2, MPI_INT, b, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0) CHECK(class_of(e) == MPI_ERR_COUNT);
    /* A broadcast whose root sends more than the others expect: they see it. */
    e = MPI_Bcast(a, rank == 0 ? 2 : 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank != 0) CHECK(class_of(e) == MPI_ERR_COUNT);
    else CHECK(e == MPI_SUCCESS);
    /* MPI_IN_PLACE where the standard does not allow it: refused, never
     * used as an address. */
    CHECK(class_of(MPI_Allreduce(a, MPI_IN_PLACE, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Allreduce(MPI_IN_PLACE, MPI_IN_PLACE, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Scan(a, MPI_IN_PLACE, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Exscan(a, MPI_IN_PLACE, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Reduce_scatter_block(a, MPI_IN_PLACE, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Allgather(a, 1, MPI_INT, MPI_IN_PLACE, 1, MPI_INT, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Alltoall(a, 1, MPI_INT, MPI_IN_PLACE, 1, MPI_INT, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Alltoall(MPI_IN_PLACE, 1, MPI_INT, MPI_IN_PLACE, 1, MPI_INT, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
    /* Root-only buffers, on MPI_COMM_SELF so that no other rank waits. */
    CHECK(class_of(MPI_Reduce(a, MPI_IN_PLACE, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_SELF)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Gather(a, 1, MPI_INT, MPI_IN_PLACE, 1, MPI_INT, 0, MPI_COMM_SELF)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Scatter(MPI_IN_PLACE, 1, MPI_INT, b, 1, MPI_INT, 0, MPI_COMM_SELF)) == MPI_ERR_BUFFER);
    /* The root's own part aliased (MPICH's check): MPI_IN_PLACE is for that. */
    int one = 1, zero = 0;
    CHECK(class_of(MPI_Gather(b, 1, MPI_INT, b, 1, MPI_INT, 0, MPI_COMM_SELF)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Gatherv(b, 1, MPI_INT, b, &one, &zero, MPI_INT, 0, MPI_COMM_SELF)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Scatter(b, 1, MPI_INT, b, 1, MPI_INT, 0, MPI_COMM_SELF)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Scatterv(b, &one, &zero, MPI_INT, b, 1, MPI_INT, 0, MPI_COMM_SELF)) == MPI_ERR_BUFFER);
    CHECK(class_of(MPI_Reduce_local(b, b, 1, MPI_INT, MPI_SUM)) == MPI_ERR_BUFFER);
    /* Allgather(v) with each rank's send buffer at its own block of the
     * receive buffer: refused on every rank (MPICH's check), not only on
     * rank 0 whose block starts the buffer (the others then waited for it). */
    {
        int *g = malloc(2 * size * sizeof(int)), *cnt = malloc(size * sizeof(int)), *dis = malloc(size * sizeof(int));
        for (int i = 0; i < size; i++) { g[2 * i] = g[2 * i + 1] = i; cnt[i] = 2; dis[i] = 2 * i; }
        CHECK(class_of(MPI_Allgather(&g[rank], 1, MPI_INT, g, 1, MPI_INT, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
        CHECK(class_of(MPI_Allgatherv(&g[2 * rank], 2, MPI_INT, g, cnt, dis, MPI_INT, MPI_COMM_WORLD)) == MPI_ERR_BUFFER);
        /* A separate send buffer: fine. */
        int v = 100 + rank, *out = malloc(size * sizeof(int));
        CHECK(MPI_Allgather(&v, 1, MPI_INT, out, 1, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
        for (int i = 0; i < size; i++) CHECK(out[i] == 100 + i);
        free(g); free(cnt); free(dis); free(out);
    }
    /* Other parts of the same array are fine. */
    b[0] = 5; b[1] = 6;
    CHECK(MPI_Gather(&b[1], 1, MPI_INT, b, 1, MPI_INT, 0, MPI_COMM_SELF) == MPI_SUCCESS && b[0] == 6);
    CHECK(MPI_Reduce_local(&b[1], b, 1, MPI_INT, MPI_SUM) == MPI_SUCCESS && b[0] == 12);
    /* MPI_REPLACE and MPI_NO_OP are for accumulates, not reductions (as MPICH). */
    CHECK(class_of(MPI_Allreduce(a, b, 1, MPI_INT, MPI_REPLACE, MPI_COMM_WORLD)) == MPI_ERR_OP);
    CHECK(class_of(MPI_Reduce(a, b, 1, MPI_INT, MPI_NO_OP, 0, MPI_COMM_WORLD)) == MPI_ERR_OP);
    CHECK(class_of(MPI_Reduce_local(a, b, 1, MPI_INT, MPI_REPLACE)) == MPI_ERR_OP);
    MPI_Op op = MPI_SUM;
    CHECK(class_of(MPI_Op_free(&op)) == MPI_ERR_OP);
    /* Still working afterwards. */
    int x = rank, s = -1;
    CHECK(MPI_Allreduce(&x, &s, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS);
    CHECK(s == size * (size - 1) / 2);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* Under MPI_ERRORS_ARE_FATAL: every rank fails at once (a bad root),
     * or MPI_IN_PLACE as the receive buffer; tests/capi_coll.rs checks
     * the lines and the end of the job. */
    if (argc > 1 && strcmp(argv[1], "bad-root") == 0) {
        int x = 0;
        MPI_Bcast(&x, 1, MPI_INT, size, MPI_COMM_WORLD);
    }
    if (argc > 1 && strcmp(argv[1], "in-place-recvbuf") == 0) {
        int x = rank;
        MPI_Allreduce(&x, MPI_IN_PLACE, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    }
    if (argc > 1) return 0;
    test_predefined();
    test_reduce_scatter();
    test_loc();
    test_user_ops();
    test_noncommutative();
    test_big_elements();
    test_reduce_local();
    test_errors();
    MPI_Barrier(MPI_COMM_WORLD);
    printf("coll_ops ok on rank %d of %d\n", rank, size);
    MPI_Finalize();
    return 0;
}
