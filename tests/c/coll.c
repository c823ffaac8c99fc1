/* Blocking collectives through the C interface: every collective with
 * values checked on every rank, MPI_IN_PLACE forms, v-variants with uneven
 * counts and displacements, alltoallw, the large-count (_c) forms, a
 * non-contiguous predefined type (MPI_DOUBLE_INT: 12 bytes of data in an
 * extent of 16), send/receive types that differ, and ranks that describe
 * the same data with strided and contiguous types in one collective. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

typedef struct { double v; int i; } di_t;

static int val(int r, int i) { return r * 1000 + i; }

static void test_bcast(void) {
    for (int root = 0; root < size; root++) {
        int n = 1000 + root;
        int *b = malloc(n * sizeof(int));
        for (int i = 0; i < n; i++) b[i] = rank == root ? val(root, i) : -1;
        CHECK(MPI_Bcast(b, n, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        for (int i = 0; i < n; i++) CHECK(b[i] == val(root, i));
        free(b);
    }
    /* Large: several chunks. */
    int n = 300000;
    double *d = malloc(n * sizeof(double));
    for (int i = 0; i < n; i++) d[i] = rank == size - 1 ? i * 0.5 : 0;
    CHECK(MPI_Bcast_c(d, (MPI_Count)n, MPI_DOUBLE, size - 1, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int i = 0; i < n; i++) CHECK(d[i] == i * 0.5);
    free(d);
    /* Non-contiguous type. */
    di_t p[3];
    for (int i = 0; i < 3; i++) { p[i].v = rank == 0 ? 1.5 * i : 0; p[i].i = rank == 0 ? 7 + i : 0; }
    MPI_Bcast(p, 3, MPI_DOUBLE_INT, 0, MPI_COMM_WORLD);
    for (int i = 0; i < 3; i++) CHECK(p[i].v == 1.5 * i && p[i].i == 7 + i);
    /* Send/receive types differ in shape, agree in bytes. */
    MPI_Datatype t = MPI_2INT;
    int q[4];
    for (int i = 0; i < 4; i++) q[i] = rank == 0 ? 40 + i : 0;
    if (rank == 0) MPI_Bcast(q, 4, MPI_INT, 0, MPI_COMM_WORLD);
    else MPI_Bcast(q, 2, t, 0, MPI_COMM_WORLD);
    for (int i = 0; i < 4; i++) CHECK(q[i] == 40 + i);
}

static void test_gather_scatter(void) {
    int root = size / 2;
    int k = 3;
    int send[3], *recv = malloc(size * k * sizeof(int));
    for (int i = 0; i < k; i++) send[i] = val(rank, i);
    for (int i = 0; i < size * k; i++) recv[i] = -1;
    CHECK(MPI_Gather(send, k, MPI_INT, recv, k, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
    if (rank == root)
        for (int r = 0; r < size; r++)
            for (int i = 0; i < k; i++) CHECK(recv[r * k + i] == val(r, i));
    /* IN_PLACE at the root; the receive type is a pair of ints (6 ints = 3 pairs... use 2 ints per rank). */
    int two[2] = {val(rank, 0), val(rank, 1)};
    int *all = malloc(2 * size * sizeof(int));
    for (int i = 0; i < 2 * size; i++) all[i] = -1;
    if (rank == root) {
        all[2 * root] = val(root, 0);
        all[2 * root + 1] = val(root, 1);
        CHECK(MPI_Gather_c(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, 1, MPI_2INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        for (int r = 0; r < size; r++) CHECK(all[2 * r] == val(r, 0) && all[2 * r + 1] == val(r, 1));
    } else {
        CHECK(MPI_Gather_c(two, 2, MPI_INT, NULL, 0, MPI_DATATYPE_NULL, root, MPI_COMM_WORLD) == MPI_SUCCESS);
    }
    /* Scatter back, and scatter with IN_PLACE at the root. */
    int back[3] = {-1, -1, -1};
    CHECK(MPI_Scatter(recv, k, MPI_INT, back, k, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int i = 0; i < k; i++) CHECK(back[i] == val(rank, i));
    int mine[2] = {-1, -1};
    if (rank == root) {
        CHECK(MPI_Scatter_c(all, 2, MPI_INT, MPI_IN_PLACE, 2, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
    } else {
        CHECK(MPI_Scatter_c(NULL, 0, MPI_INT, mine, 1, MPI_2INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        CHECK(mine[0] == val(rank, 0) && mine[1] == val(rank, 1));
    }
    /* Non-contiguous: gather MPI_DOUBLE_INT pairs. */
    di_t p = {rank * 0.25, rank + 100}, *ps = malloc(size * sizeof(di_t));
    memset(ps, 0, size * sizeof(di_t));
    MPI_Gather(&p, 1, MPI_DOUBLE_INT, ps, 1, MPI_DOUBLE_INT, 0, MPI_COMM_WORLD);
    if (rank == 0)
        for (int r = 0; r < size; r++) CHECK(ps[r].v == r * 0.25 && ps[r].i == r + 100);
    di_t q = {0, 0};
    MPI_Scatter(ps, 1, MPI_DOUBLE_INT, &q, 1, MPI_DOUBLE_INT, 0, MPI_COMM_WORLD);
    CHECK(q.v == rank * 0.25 && q.i == rank + 100);
    free(ps);
    free(all);
    free(recv);
}

static void test_gatherv_scatterv(void) {
    /* Rank r contributes r + 1 ints; displacements leave gaps of 2, in reverse rank order. */
    int *counts = malloc(size * sizeof(int)), *displs = malloc(size * sizeof(int));
    MPI_Count *ccounts = malloc(size * sizeof(MPI_Count));
    MPI_Aint *cdispls = malloc(size * sizeof(MPI_Aint));
    int total = 0;
    for (int r = size - 1; r >= 0; r--) {
        counts[r] = r + 1;
        displs[r] = total;
        total += r + 1 + 2;
    }
    for (int r = 0; r < size; r++) { ccounts[r] = counts[r]; cdispls[r] = displs[r]; }
    int send[64];
    for (int i = 0; i < rank + 1; i++) send[i] = val(rank, i);
    int *recv = malloc(total * sizeof(int));
    for (int root = 0; root < size; root++) {
        for (int i = 0; i < total; i++) recv[i] = -7;
        if (root % 2 == 0)
            CHECK(MPI_Gatherv(send, rank + 1, MPI_INT, recv, counts, displs, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        else
            CHECK(MPI_Gatherv_c(send, rank + 1, MPI_INT, recv, ccounts, cdispls, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (rank == root) {
            for (int r = 0; r < size; r++) {
                for (int i = 0; i < counts[r]; i++) CHECK(recv[displs[r] + i] == val(r, i));
                CHECK(recv[displs[r] + counts[r]] == -7 && recv[displs[r] + counts[r] + 1] == -7);
            }
        }
        /* Scatterv it back. */
        int got[64];
        for (int i = 0; i < 64; i++) got[i] = -1;
        if (root % 2 == 0)
            CHECK(MPI_Scatterv(recv, counts, displs, MPI_INT, got, rank + 1, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        else
            CHECK(MPI_Scatterv_c(recv, ccounts, cdispls, MPI_INT, got, rank + 1, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (rank == root) {
            for (int i = 0; i < rank + 1; i++) CHECK(got[i] == val(rank, i));
        } else {
            for (int i = 0; i < rank + 1; i++) CHECK(got[i] == val(rank, i));
            CHECK(got[rank + 1] == -1);
        }
    }
    /* IN_PLACE gatherv at the root. */
    for (int i = 0; i < total; i++) recv[i] = -7;
    if (rank == 0) {
        for (int i = 0; i < counts[0]; i++) recv[displs[0] + i] = val(0, i);
        MPI_Gatherv(MPI_IN_PLACE, 0, MPI_INT, recv, counts, displs, MPI_INT, 0, MPI_COMM_WORLD);
        for (int r = 0; r < size; r++)
            for (int i = 0; i < counts[r]; i++) CHECK(recv[displs[r] + i] == val(r, i));
    } else {
        MPI_Gatherv(send, rank + 1, MPI_INT, NULL, NULL, NULL, MPI_INT, 0, MPI_COMM_WORLD);
    }
    free(recv);
    free(counts);
    free(displs);
    free(ccounts);
    free(cdispls);
}

static void test_allgather(void) {
    int k = 5;
    int send[5], *recv = malloc(size * k * sizeof(int));
    for (int i = 0; i < k; i++) send[i] = val(rank, i);
    CHECK(MPI_Allgather(send, k, MPI_INT, recv, k, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int r = 0; r < size; r++)
        for (int i = 0; i < k; i++) CHECK(recv[r * k + i] == val(r, i));
    /* IN_PLACE */
    for (int i = 0; i < size * k; i++) recv[i] = i / k == rank ? val(rank, i % k) : -1;
    CHECK(MPI_Allgather_c(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, recv, k, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int r = 0; r < size; r++)
        for (int i = 0; i < k; i++) CHECK(recv[r * k + i] == val(r, i));
    /* Non-contiguous receive type. */
    di_t p = {rank + 0.5, -rank}, *ps = malloc(size * sizeof(di_t));
    MPI_Allgather(&p, 1, MPI_DOUBLE_INT, ps, 1, MPI_DOUBLE_INT, MPI_COMM_WORLD);
    for (int r = 0; r < size; r++) CHECK(ps[r].v == r + 0.5 && ps[r].i == -r);
    /* Allgatherv: rank r sends 2r ints (rank 0 sends none), displaced. */
    int *counts = malloc(size * sizeof(int)), *displs = malloc(size * sizeof(int));
    MPI_Count *cc = malloc(size * sizeof(MPI_Count));
    MPI_Aint *cd = malloc(size * sizeof(MPI_Aint));
    int total = 1;
    for (int r = 0; r < size; r++) {
        counts[r] = 2 * r; displs[r] = total; total += 2 * r + 1;
        cc[r] = counts[r]; cd[r] = displs[r];
    }
    int *v = malloc(total * sizeof(int)), s[64];
    for (int i = 0; i < 2 * rank; i++) s[i] = val(rank, i);
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < total; i++) v[i] = -3;
        if (pass == 0) CHECK(MPI_Allgatherv(s, 2 * rank, MPI_INT, v, counts, displs, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (pass == 1) CHECK(MPI_Allgatherv_c(s, 2 * rank, MPI_INT, v, cc, cd, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (pass == 2) {
            for (int i = 0; i < counts[rank]; i++) v[displs[rank] + i] = val(rank, i);
            CHECK(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_INT, v, counts, displs, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
        }
        CHECK(v[0] == -3);
        for (int r = 0; r < size; r++) {
            for (int i = 0; i < counts[r]; i++) CHECK(v[displs[r] + i] == val(r, i));
            CHECK(v[displs[r] + counts[r]] == -3);
        }
    }
    free(v); free(counts); free(displs); free(cc); free(cd); free(ps); free(recv);
}

static void test_alltoall(void) {
    int k = 2;
    int *s = malloc(size * k * sizeof(int)), *r = malloc(size * k * sizeof(int));
    for (int j = 0; j < size; j++)
        for (int i = 0; i < k; i++) s[j * k + i] = rank * 100 + j * 10 + i;
    CHECK(MPI_Alltoall(s, k, MPI_INT, r, k, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int j = 0; j < size; j++)
        for (int i = 0; i < k; i++) CHECK(r[j * k + i] == j * 100 + rank * 10 + i);
    /* Different types, same bytes: 2 ints sent, 1 MPI_2INT received. */
    memset(r, 0, size * k * sizeof(int));
    CHECK(MPI_Alltoall_c(s, 2, MPI_INT, r, 1, MPI_2INT, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int j = 0; j < size; j++)
        for (int i = 0; i < k; i++) CHECK(r[j * k + i] == j * 100 + rank * 10 + i);
    /* IN_PLACE */
    memcpy(r, s, size * k * sizeof(int));
    CHECK(MPI_Alltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, r, k, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int j = 0; j < size; j++)
        for (int i = 0; i < k; i++) CHECK(r[j * k + i] == j * 100 + rank * 10 + i);
    free(s); free(r);

    /* Alltoallv: rank i sends (i + j) % 3 ints to rank j, at reversed, gapped positions. */
    int *sc = malloc(size * sizeof(int)), *sd = malloc(size * sizeof(int));
    int *rc = malloc(size * sizeof(int)), *rd = malloc(size * sizeof(int));
    MPI_Count *csc = malloc(size * sizeof(MPI_Count)), *crc = malloc(size * sizeof(MPI_Count));
    MPI_Aint *csd = malloc(size * sizeof(MPI_Aint)), *crd = malloc(size * sizeof(MPI_Aint));
    int st = 0, rt = 0;
    for (int j = size - 1; j >= 0; j--) {
        sc[j] = (rank + j) % 3; sd[j] = st; st += sc[j] + 1;
        rc[j] = (j + rank) % 3; rd[j] = rt; rt += rc[j] + 2;
    }
    for (int j = 0; j < size; j++) { csc[j] = sc[j]; crc[j] = rc[j]; csd[j] = sd[j]; crd[j] = rd[j]; }
    int *sv = malloc((st + 1) * sizeof(int)), *rv = malloc((rt + 1) * sizeof(int));
    for (int j = 0; j < size; j++)
        for (int i = 0; i < sc[j]; i++) sv[sd[j] + i] = rank * 100 + j * 10 + i;
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < rt; i++) rv[i] = -5;
        if (pass == 0) CHECK(MPI_Alltoallv(sv, sc, sd, MPI_INT, rv, rc, rd, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (pass == 1) CHECK(MPI_Alltoallv_c(sv, csc, csd, MPI_INT, rv, crc, crd, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (pass == 2) {
            /* IN_PLACE: symmetric counts, so the send data is the receive layout. */
            for (int j = 0; j < size; j++)
                for (int i = 0; i < rc[j]; i++) rv[rd[j] + i] = rank * 100 + j * 10 + i;
            CHECK(MPI_Alltoallv(MPI_IN_PLACE, NULL, NULL, MPI_DATATYPE_NULL, rv, rc, rd, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
        }
        for (int j = 0; j < size; j++) {
            for (int i = 0; i < rc[j]; i++) CHECK(rv[rd[j] + i] == j * 100 + rank * 10 + i);
            CHECK(rv[rd[j] + rc[j]] == -5);
        }
    }
    free(sv); free(rv);

    /* Alltoallw: to rank j, j + 1 values: ints to even ranks, doubles to
     * odd ones; received likewise (from even ranks ints), byte displacements. */
    MPI_Datatype *stypes = malloc(size * sizeof(MPI_Datatype)), *rtypes = malloc(size * sizeof(MPI_Datatype));
    MPI_Aint *wsd = malloc(size * sizeof(MPI_Aint)), *wrd = malloc(size * sizeof(MPI_Aint));
    int *wsdi = malloc(size * sizeof(int)), *wrdi = malloc(size * sizeof(int));
    int off = 0;
    for (int j = 0; j < size; j++) {
        sc[j] = j + 1; csc[j] = j + 1;
        stypes[j] = j % 2 ? MPI_DOUBLE : MPI_INT;
        wsd[j] = off; wsdi[j] = off;
        off += 8 * (j + 1) + 8;
    }
    char *wsb = malloc(off);
    for (int j = 0; j < size; j++)
        for (int i = 0; i <= j; i++) {
            if (j % 2) ((double *)(wsb + wsd[j]))[i] = rank + j * 0.5 + i;
            else ((int *)(wsb + wsd[j]))[i] = rank * 100 + j * 10 + i;
        }
    int roff = 0;
    for (int j = size - 1; j >= 0; j--) {
        rc[j] = rank + 1; crc[j] = rank + 1;
        rtypes[j] = rank % 2 ? MPI_DOUBLE : MPI_INT;
        wrd[j] = roff; wrdi[j] = roff;
        roff += 8 * (rank + 1) + 16;
    }
    char *wrb = malloc(roff);
    for (int pass = 0; pass < 2; pass++) {
        memset(wrb, 0, roff);
        if (pass == 0)
            CHECK(MPI_Alltoallw(wsb, sc, wsdi, stypes, wrb, rc, wrdi, rtypes, MPI_COMM_WORLD) == MPI_SUCCESS);
        else
            CHECK(MPI_Alltoallw_c(wsb, csc, wsd, stypes, wrb, crc, wrd, rtypes, MPI_COMM_WORLD) == MPI_SUCCESS);
        for (int j = 0; j < size; j++)
            for (int i = 0; i <= rank; i++) {
                if (rank % 2) CHECK(((double *)(wrb + wrd[j]))[i] == j + rank * 0.5 + i);
                else CHECK(((int *)(wrb + wrd[j]))[i] == j * 100 + rank * 10 + i);
            }
    }
    free(wsb); free(wrb); free(stypes); free(rtypes); free(wsd); free(wrd); free(wsdi); free(wrdi);
    free(sc); free(sd); free(rc); free(rd); free(csc); free(crc); free(csd); free(crd);
}

/* Ranks describe the same data with different layouts: one rank with a
 * strided (non-contiguous) type, the others with contiguous ones, so that
 * packed and direct transfers meet in one collective. */
static void test_mixed_layouts(void) {
    MPI_Datatype every_other, part;
    MPI_Type_vector(4, 1, 2, MPI_INT, &every_other); /* 4 ints, stride 2 */
    MPI_Type_commit(&every_other);
    /* Per rank: 2 ints at stride 2, parts 4 ints apart. */
    MPI_Datatype two;
    MPI_Type_vector(2, 1, 2, MPI_INT, &two);
    MPI_Type_create_resized(two, 0, 4 * sizeof(int), &part);
    MPI_Type_commit(&part);
    MPI_Type_free(&two);
    int *wide = malloc(8 * size * sizeof(int)), flat[8], *all = malloc(8 * size * sizeof(int));
    for (int root = 0; root < size; root++) {
        int strided = rank == root; /* the root uses the strided types */
        /* Broadcast. */
        for (int i = 0; i < 8; i++) wide[i] = strided ? val(root, i) : -1;
        for (int i = 0; i < 4; i++) flat[i] = -1;
        if (strided) CHECK(MPI_Bcast(wide, 1, every_other, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        else CHECK(MPI_Bcast(flat, 4, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (!strided) for (int i = 0; i < 4; i++) CHECK(flat[i] == val(root, 2 * i));
        /* Scatter: the root's parts are strided, everybody receives 2 ints. */
        for (int i = 0; i < 4 * size; i++) wide[i] = val(root, i);
        flat[0] = flat[1] = -1;
        CHECK(MPI_Scatter(wide, 1, part, flat, 2, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        CHECK(flat[0] == val(root, 4 * rank) && flat[1] == val(root, 4 * rank + 2));
        /* Gather: the root sends its own 4 ints strided, receives flat. */
        for (int i = 0; i < 8; i++) wide[i] = val(rank, i);
        for (int i = 0; i < 4; i++) flat[i] = val(rank, 2 * i);
        for (int i = 0; i < 4 * size; i++) all[i] = -1;
        if (strided) CHECK(MPI_Gather(wide, 1, every_other, all, 4, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        else CHECK(MPI_Gather(flat, 4, MPI_INT, NULL, 0, MPI_INT, root, MPI_COMM_WORLD) == MPI_SUCCESS);
        if (strided)
            for (int r = 0; r < size; r++)
                for (int i = 0; i < 4; i++) CHECK(all[4 * r + i] == val(r, 2 * i));
        /* Allgather: this round's root sends strided, the others flat. */
        for (int i = 0; i < 4 * size; i++) all[i] = -1;
        if (strided) CHECK(MPI_Allgather(wide, 1, every_other, all, 4, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
        else CHECK(MPI_Allgather(flat, 4, MPI_INT, all, 4, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
        for (int r = 0; r < size; r++)
            for (int i = 0; i < 4; i++) CHECK(all[4 * r + i] == val(r, 2 * i));
    }
    free(wide);
    free(all);
    MPI_Type_free(&every_other);
    MPI_Type_free(&part);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int i = 0; i < 3; i++) CHECK(MPI_Barrier(MPI_COMM_WORLD) == MPI_SUCCESS);
    test_bcast();
    test_gather_scatter();
    test_gatherv_scatterv();
    test_allgather();
    test_alltoall();
    test_mixed_layouts();
    /* The same on a split communicator (odd and even ranks). */
    MPI_Comm half;
    MPI_Comm_split(MPI_COMM_WORLD, rank % 2, -rank, &half);
    int hr, hs, x = rank, *xs = malloc(size * sizeof(int));
    MPI_Comm_rank(half, &hr);
    MPI_Comm_size(half, &hs);
    MPI_Allgather(&x, 1, MPI_INT, xs, 1, MPI_INT, half);
    for (int i = 0; i < hs; i++) CHECK(xs[i] % 2 == rank % 2 && (i == 0 || xs[i] < xs[i - 1]));
    MPI_Barrier(half);
    MPI_Comm_free(&half);
    free(xs);
    MPI_Barrier(MPI_COMM_WORLD);
    printf("coll ok on rank %d of %d\n", rank, size);
    MPI_Finalize();
    return 0;
}
