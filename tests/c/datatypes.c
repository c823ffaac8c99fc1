/* Datatypes through the C interface: bounds and sizes of every
 * constructor (values MPICH 4.0.2 gives), envelopes and contents, pack and
 * unpack (native and external32), names, attributes, error classes, and
 * communication with derived types (matrix columns, MPI_BOTTOM structs,
 * resized types, subarray halos, short messages, freed types in flight).
 * Also builds against MPICH (mpicc.mpich datatypes.c): where shmpi
 * knowingly differs, the check runs under shmpi only. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>

static int rank, size, shmpi;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

static int err_class(int rc) {
    int c;
    MPI_Error_class(rc, &c);
    return c;
}

static void bounds(MPI_Datatype t, int sz, MPI_Aint lb, MPI_Aint ext, MPI_Aint tlb, MPI_Aint text, int line) {
    int s;
    MPI_Aint l, e, tl, te;
    MPI_Type_size(t, &s);
    MPI_Type_get_extent(t, &l, &e);
    MPI_Type_get_true_extent(t, &tl, &te);
    if (s != sz || l != lb || e != ext || tl != tlb || te != text) {
        fprintf(stderr, "rank %d: line %d: size %d lb %ld extent %ld true_lb %ld true_extent %ld, expected %d %ld %ld %ld %ld\n",
                rank, line, s, (long)l, (long)e, (long)tl, (long)te, sz, (long)lb, (long)ext, (long)tlb, (long)text);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Count cs, cl, ce;
    MPI_Type_size_x(t, &cs);
    MPI_Type_get_extent_x(t, &cl, &ce);
    CHECK(cs == sz && cl == lb && ce == ext);
    MPI_Type_get_true_extent_x(t, &cl, &ce);
    CHECK(cl == tlb && ce == text);
}
#define BOUNDS(t, sz, lb, ext, tlb, text) bounds(t, sz, lb, ext, tlb, text, __LINE__)

static void constructors(void) {
    MPI_Datatype t;
    /* MPICH's pair handles look allocated (0x8c000000...): no derived type may get one. */
    MPI_Type_contiguous(1, MPI_INT, &t);
    CHECK(t != MPI_FLOAT_INT && t != MPI_DOUBLE_INT && t != MPI_LONG_INT && t != MPI_SHORT_INT && t != MPI_LONG_DOUBLE_INT);
    BOUNDS(MPI_FLOAT_INT, 8, 0, 8, 0, 8);
    BOUNDS(MPI_LONG_DOUBLE_INT, 20, 0, 32, 0, 20);
    MPI_Type_free(&t);
    MPI_Type_vector(3, 2, 4, MPI_INT, &t);
    BOUNDS(t, 24, 0, 40, 0, 40);
    MPI_Type_free(&t);
    CHECK(t == MPI_DATATYPE_NULL);
    MPI_Type_vector(3, 1, -2, MPI_INT, &t);
    BOUNDS(t, 12, -16, 20, -16, 20);
    MPI_Type_free(&t);
    MPI_Type_create_hvector(2, 3, 100, MPI_DOUBLE, &t);
    BOUNDS(t, 48, 0, 124, 0, 124);
    MPI_Type_free(&t);
    int bl[3] = {2, 1, 3}, dp[3] = {4, 0, 10};
    MPI_Type_indexed(3, bl, dp, MPI_INT, &t);
    BOUNDS(t, 24, 0, 52, 0, 52);
    MPI_Type_free(&t);
    int hbl[2] = {1, 2};
    MPI_Aint hdp[2] = {8, -4};
    MPI_Type_create_hindexed(2, hbl, hdp, MPI_INT, &t);
    BOUNDS(t, 12, -4, 16, -4, 16);
    MPI_Type_free(&t);
    int ibd[3] = {0, 5, 2};
    MPI_Type_create_indexed_block(3, 2, ibd, MPI_SHORT, &t);
    BOUNDS(t, 12, 0, 14, 0, 14);
    MPI_Type_free(&t);
    MPI_Aint hbd[2] = {0, 16};
    MPI_Type_create_hindexed_block(2, 1, hbd, MPI_DOUBLE, &t);
    BOUNDS(t, 16, 0, 24, 0, 24);
    MPI_Type_free(&t);
    /* Struct padding: {char; double; int} ends at 20, padded to 24. */
    int sbl[3] = {1, 1, 1};
    MPI_Aint sdp[3] = {0, 8, 16};
    MPI_Datatype sty[3] = {MPI_CHAR, MPI_DOUBLE, MPI_INT};
    MPI_Type_create_struct(3, sbl, sdp, sty, &t);
    BOUNDS(t, 13, 0, 24, 0, 20);
    MPI_Type_free(&t);
    MPI_Aint sdp2[2] = {0, 4};
    MPI_Datatype sty2[2] = {MPI_INT, MPI_CHAR};
    MPI_Type_create_struct(2, sbl, sdp2, sty2, &t);
    BOUNDS(t, 5, 0, 8, 0, 5);
    MPI_Type_free(&t);
    MPI_Type_create_resized(MPI_INT, -4, 16, &t);
    BOUNDS(t, 4, -4, 16, 0, 4);
    MPI_Type_free(&t);
    int sizes[2] = {4, 6}, subs[2] = {2, 3}, starts[2] = {1, 2};
    MPI_Type_create_subarray(2, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &t);
    BOUNDS(t, 24, 0, 96, 32, 36);
    MPI_Type_free(&t);
    MPI_Type_create_subarray(2, sizes, subs, starts, MPI_ORDER_FORTRAN, MPI_INT, &t);
    /* Fortran: dimension 0 (size 4) varies fastest: rows 1..2 of 4, cols 2..4. */
    BOUNDS(t, 24, 0, 96, 36, 40);
    MPI_Type_free(&t);
    int gs[1] = {10}, di[1] = {MPI_DISTRIBUTE_BLOCK}, da[1] = {MPI_DISTRIBUTE_DFLT_DARG}, ps[1] = {3};
    MPI_Type_create_darray(3, 1, 1, gs, di, da, ps, MPI_ORDER_C, MPI_INT, &t);
    BOUNDS(t, 16, 0, 40, 16, 16);
    MPI_Type_free(&t);
    int gs2[2] = {6, 4}, di2[2] = {MPI_DISTRIBUTE_CYCLIC, MPI_DISTRIBUTE_NONE}, da2[2] = {2, MPI_DISTRIBUTE_DFLT_DARG}, ps2[2] = {2, 1};
    MPI_Type_create_darray(2, 1, 2, gs2, di2, da2, ps2, MPI_ORDER_C, MPI_DOUBLE, &t);
    BOUNDS(t, 64, 0, 192, 64, 64);
    MPI_Type_free(&t);
    MPI_Type_contiguous(0, MPI_INT, &t);
    BOUNDS(t, 0, 0, 0, 0, 0);
    MPI_Type_free(&t);
    /* Large-count forms share the code. */
    MPI_Type_contiguous_c(5, MPI_INT, &t);
    BOUNDS(t, 20, 0, 20, 0, 20);
    MPI_Type_free(&t);
    MPI_Type_vector_c(3, 2, 4, MPI_INT, &t);
    BOUNDS(t, 24, 0, 40, 0, 40);
    MPI_Type_free(&t);
    MPI_Count cbl[3] = {2, 1, 3}, cdp[3] = {4, 0, 10};
    MPI_Type_indexed_c(3, cbl, cdp, MPI_INT, &t);
    BOUNDS(t, 24, 0, 52, 0, 52);
    MPI_Type_free(&t);
    MPI_Count csdp[3] = {0, 8, 16}, csbl[3] = {1, 1, 1};
    MPI_Type_create_struct_c(3, csbl, csdp, sty, &t);
    BOUNDS(t, 13, 0, 24, 0, 20);
    MPI_Type_free(&t);
    MPI_Type_create_resized_c(MPI_INT, -4, 16, &t);
    BOUNDS(t, 4, -4, 16, 0, 4);
    MPI_Type_free(&t);
    /* Predefined. */
    BOUNDS(MPI_DOUBLE_INT, 12, 0, 16, 0, 12);
    BOUNDS(MPI_2INT, 8, 0, 8, 0, 8);
    BOUNDS(MPI_LONG_DOUBLE, 16, 0, 16, 0, 16);
    MPI_Aint l, e;
    MPI_Type_get_extent(MPI_SHORT_INT, &l, &e);
    CHECK(l == 0 && e == 8);
}

static void envelopes(void) {
    int ni, na, nd, comb, ints[16];
    MPI_Aint addrs[16];
    MPI_Datatype types[16];
    MPI_Type_get_envelope(MPI_INT, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_NAMED && ni == 0 && na == 0 && nd == 0);
    CHECK(err_class(MPI_Type_get_contents(MPI_INT, 16, 16, 16, ints, addrs, types)) == MPI_ERR_TYPE);

    MPI_Datatype v, c, s, d;
    MPI_Type_vector(3, 2, 4, MPI_INT, &v);
    MPI_Type_get_envelope(v, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_VECTOR && ni == 3 && na == 0 && nd == 1);
    MPI_Type_get_contents(v, 16, 16, 16, ints, addrs, types);
    CHECK(ints[0] == 3 && ints[1] == 2 && ints[2] == 4 && types[0] == MPI_INT);

    /* A struct of a derived and a predefined type. */
    int bl[2] = {2, 1};
    MPI_Aint dp[2] = {0, 100};
    MPI_Datatype ty[2] = {v, MPI_DOUBLE};
    MPI_Type_create_struct(2, bl, dp, ty, &s);
    MPI_Type_get_envelope(s, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_STRUCT && ni == 3 && na == 2 && nd == 2);
    CHECK(err_class(MPI_Type_get_contents(s, 2, 16, 16, ints, addrs, types)) != MPI_SUCCESS);
    MPI_Type_get_contents(s, 16, 16, 16, ints, addrs, types);
    CHECK(ints[0] == 2 && ints[1] == 2 && ints[2] == 1 && addrs[0] == 0 && addrs[1] == 100);
    CHECK(types[1] == MPI_DOUBLE);
    /* The standard: derived children come back as new handles the user frees. */
    if (shmpi) CHECK(types[0] != v);
    MPI_Type_get_envelope(types[0], &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_VECTOR && ni == 3);
    MPI_Aint l, e;
    MPI_Type_get_extent(types[0], &l, &e);
    CHECK(l == 0 && e == 40);
    if (shmpi) MPI_Type_free(&types[0]);

    /* Contents still work after the child handle is freed. */
    MPI_Type_contiguous(2, v, &c);
    MPI_Type_free(&v);
    MPI_Type_get_contents(c, 16, 16, 16, ints, addrs, types);
    CHECK(ints[0] == 2);
    MPI_Type_get_contents(types[0], 16, 16, 16, ints, addrs, types + 1);
    CHECK(ints[0] == 3 && ints[1] == 2 && ints[2] == 4 && types[1] == MPI_INT);
    MPI_Type_free(&types[0]);
    BOUNDS(c, 48, 0, 80, 0, 80);

    MPI_Type_dup(c, &d);
    MPI_Type_get_envelope(d, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_DUP && ni == 0 && na == 0 && nd == 1);
    BOUNDS(d, 48, 0, 80, 0, 80);
    MPI_Type_free(&d);
    MPI_Type_free(&c);
    MPI_Type_free(&s);

    /* Subarray, darray and resized contents. */
    int sizes[2] = {4, 6}, subs[2] = {2, 3}, starts[2] = {1, 2};
    MPI_Type_create_subarray(2, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &s);
    MPI_Type_get_envelope(s, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_SUBARRAY && ni == 8 && na == 0 && nd == 1);
    MPI_Type_get_contents(s, 16, 16, 16, ints, addrs, types);
    int want[8] = {2, 4, 6, 2, 3, 1, 2, MPI_ORDER_C};
    for (int i = 0; i < 8; i++) CHECK(ints[i] == want[i]);
    MPI_Type_free(&s);
    MPI_Type_create_resized(MPI_INT, -4, 16, &s);
    MPI_Type_get_envelope(s, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_RESIZED && ni == 0 && na == 2 && nd == 1);
    MPI_Type_get_contents(s, 16, 16, 16, ints, addrs, types);
    CHECK(addrs[0] == -4 && addrs[1] == 16 && types[0] == MPI_INT);
    MPI_Type_free(&s);

    /* Large-count constructors report large counts. */
    MPI_Count n[4], lc[16];
    MPI_Type_contiguous_c(5, MPI_INT, &s);
    MPI_Type_get_envelope_c(s, &n[0], &n[1], &n[2], &n[3], &comb);
    CHECK(comb == MPI_COMBINER_CONTIGUOUS && n[0] == 0 && n[1] == 0 && n[2] == 1 && n[3] == 1);
    MPI_Type_get_contents_c(s, 16, 16, 16, 16, ints, addrs, lc, types);
    CHECK(lc[0] == 5 && types[0] == MPI_INT);
    if (shmpi) CHECK(err_class(MPI_Type_get_envelope(s, &ni, &na, &nd, &comb)) == MPI_ERR_TYPE);
    MPI_Type_free(&s);
    MPI_Type_vector(3, 2, 4, MPI_INT, &s);
    MPI_Type_get_envelope_c(s, &n[0], &n[1], &n[2], &n[3], &comb);
    CHECK(comb == MPI_COMBINER_VECTOR && n[0] == 3 && n[1] == 0 && n[2] == 0 && n[3] == 1);
    MPI_Type_free(&s);
}

static void packing(void) {
    int a[12], b[12];
    for (int i = 0; i < 12; i++) a[i] = 100 + i;
    MPI_Datatype v;
    MPI_Type_vector(3, 2, 4, MPI_INT, &v);
    MPI_Type_commit(&v);
    int ps;
    MPI_Pack_size(1, v, MPI_COMM_WORLD, &ps);
    CHECK(ps == 24);
    MPI_Pack_size(3, v, MPI_COMM_WORLD, &ps);
    CHECK(ps == 72);
    char buf[256];
    int pos = 0;
    int hdr = 77;
    MPI_Pack(&hdr, 1, MPI_INT, buf, sizeof buf, &pos, MPI_COMM_WORLD);
    CHECK(pos == 4);
    MPI_Pack(a, 1, v, buf, sizeof buf, &pos, MPI_COMM_WORLD);
    CHECK(pos == 28);
    int packed[7];
    memcpy(packed, buf, 28);
    int expect[7] = {77, 100, 101, 104, 105, 108, 109};
    for (int i = 0; i < 7; i++) CHECK(packed[i] == expect[i]);
    pos = 0;
    int h2;
    MPI_Unpack(buf, 28, &pos, &h2, 1, MPI_INT, MPI_COMM_WORLD);
    for (int i = 0; i < 12; i++) b[i] = -1;
    MPI_Unpack(buf, 28, &pos, b, 1, v, MPI_COMM_WORLD);
    CHECK(h2 == 77 && pos == 28);
    for (int i = 0; i < 12; i++) CHECK(b[i] == ((i % 4) < 2 && i < 10 ? 100 + i : -1));
    if (shmpi) {
        /* Too small a buffer: MPI_ERR_TRUNCATE, nothing written (MPICH packs part). */
        pos = 0;
        CHECK(err_class(MPI_Pack(a, 1, v, buf, 20, &pos, MPI_COMM_WORLD)) == MPI_ERR_TRUNCATE && pos == 0);
        pos = 4;
        CHECK(err_class(MPI_Unpack(buf, 20, &pos, b, 1, v, MPI_COMM_WORLD)) == MPI_ERR_TRUNCATE && pos == 4);
    }
    MPI_Count cpos = 0;
    MPI_Pack_c(a, 2, v, buf, sizeof buf, &cpos, MPI_COMM_WORLD);
    CHECK(cpos == 48);
    MPI_Count cps;
    MPI_Pack_size_c(2, v, MPI_COMM_WORLD, &cps);
    CHECK(cps == 48);
    MPI_Type_free(&v);

    /* external32: big-endian. */
    MPI_Aint esz;
    MPI_Pack_external_size("external32", 3, MPI_INT, &esz);
    CHECK(esz == 12);
    /* The standard's table: long is 4 bytes and wchar_t 2 in external32. */
    MPI_Pack_external_size("external32", 3, MPI_LONG, &esz);
    CHECK(esz == 12);
    MPI_Pack_external_size("external32", 3, MPI_WCHAR, &esz);
    CHECK(esz == 6);
    {
        long lv[2] = {-5, 70000}, lb[2] = {0, 0};
        unsigned char le[8];
        MPI_Aint lp = 0;
        MPI_Pack_external("external32", lv, 2, MPI_LONG, le, sizeof le, &lp);
        CHECK(lp == 8 && le[0] == 0xff && le[3] == 0xfb && le[5] == 0x01 && le[6] == 0x11 && le[7] == 0x70);
        lp = 0;
        MPI_Unpack_external("external32", le, sizeof le, &lp, lb, 2, MPI_LONG);
        CHECK(lb[0] == -5 && lb[1] == 70000);
    }
    if (shmpi) { /* MPICH 4.0.2 answers 0 or crashes for pair types */
        MPI_Pack_external_size("external32", 2, MPI_DOUBLE_INT, &esz);
        CHECK(esz == 24);
    }
    int x[2] = {0x01020304, -2};
    double dd = 1.0;
    short sh = 0x0a0b;
    unsigned char e[64];
    MPI_Aint epos = 0;
    MPI_Pack_external("external32", x, 2, MPI_INT, e, sizeof e, &epos);
    MPI_Pack_external("external32", &dd, 1, MPI_DOUBLE, e, sizeof e, &epos);
    MPI_Pack_external("external32", &sh, 1, MPI_SHORT, e, sizeof e, &epos);
    CHECK(epos == 18);
    unsigned char want[18] = {1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x0a, 0x0b};
    for (int i = 0; i < 18; i++) CHECK(e[i] == want[i]);
    int y[2];
    double ed;
    short es;
    epos = 0;
    MPI_Unpack_external("external32", e, 18, &epos, y, 2, MPI_INT);
    MPI_Unpack_external("external32", e, 18, &epos, &ed, 1, MPI_DOUBLE);
    MPI_Unpack_external("external32", e, 18, &epos, &es, 1, MPI_SHORT);
    CHECK(epos == 18 && y[0] == x[0] && y[1] == -2 && ed == 1.0 && es == sh);
    /* A struct with padding packs without it (MPICH 4.0.2 crashes here). */
    if (shmpi) {
        struct { char c; double d; } sv = {'q', -2.5}, sw;
        int sbl[2] = {1, 1};
        MPI_Aint sdp[2] = {0, 8};
        MPI_Datatype sty[2] = {MPI_CHAR, MPI_DOUBLE}, st;
        MPI_Type_create_struct(2, sbl, sdp, sty, &st);
        MPI_Type_commit(&st);
        MPI_Pack_external_size("external32", 1, st, &esz);
        CHECK(esz == 9);
        epos = 0;
        MPI_Pack_external("external32", &sv, 1, st, e, sizeof e, &epos);
        CHECK(epos == 9 && e[0] == 'q' && e[1] == 0xc0 && e[2] == 0x04);
        epos = 0;
        MPI_Unpack_external("external32", e, 9, &epos, &sw, 1, st);
        CHECK(sw.c == 'q' && sw.d == -2.5);
        MPI_Type_free(&st);
    }
    if (shmpi)
        CHECK(err_class(MPI_Pack_external_size("native", 3, MPI_INT, &esz)) == MPI_ERR_ARG);

    /* Addresses. */
    MPI_Aint a0, a1;
    MPI_Get_address(&a[0], &a0);
    MPI_Get_address(&a[5], &a1);
    CHECK(a1 - a0 == 20 && a0 == (MPI_Aint)(char *)&a[0]);
}

static void names(void) {
    char name[MPI_MAX_OBJECT_NAME];
    int len;
    MPI_Type_get_name(MPI_INT, name, &len);
    CHECK(strcmp(name, "MPI_INT") == 0 && len == 7);
    MPI_Type_get_name(MPI_FLOAT_INT, name, &len);
    CHECK(strcmp(name, "MPI_FLOAT_INT") == 0);
    MPI_Type_get_name(MPI_DOUBLE_COMPLEX, name, &len);
    CHECK(strcmp(name, "MPI_DOUBLE_COMPLEX") == 0);
    MPI_Type_get_name(MPI_UNSIGNED_LONG_LONG, name, &len);
    CHECK(strcmp(name, "MPI_UNSIGNED_LONG_LONG") == 0);
    MPI_Datatype t, d;
    MPI_Type_contiguous(2, MPI_INT, &t);
    MPI_Type_get_name(t, name, &len);
    CHECK(len == 0 && name[0] == 0);
    MPI_Type_set_name(t, "pair of ints");
    MPI_Type_get_name(t, name, &len);
    CHECK(strcmp(name, "pair of ints") == 0 && len == 12);
    MPI_Type_dup(t, &d);
    MPI_Type_get_name(d, name, &len);
    CHECK(len == 0);
    MPI_Type_free(&d);
    MPI_Type_free(&t);
    /* Predefined types may be renamed (as in MPICH). */
    MPI_Type_set_name(MPI_UNSIGNED_SHORT, "ushort");
    MPI_Type_get_name(MPI_UNSIGNED_SHORT, name, &len);
    CHECK(strcmp(name, "ushort") == 0);
    MPI_Type_set_name(MPI_UNSIGNED_SHORT, "MPI_UNSIGNED_SHORT");

    MPI_Datatype m;
    MPI_Type_match_size(MPI_TYPECLASS_REAL, 8, &m);
    CHECK(m == MPI_REAL8);
    MPI_Type_match_size(MPI_TYPECLASS_INTEGER, 4, &m);
    CHECK(m == MPI_INTEGER4);
    MPI_Type_match_size(MPI_TYPECLASS_COMPLEX, 16, &m);
    CHECK(m == MPI_COMPLEX16);
    CHECK(err_class(MPI_Type_match_size(MPI_TYPECLASS_REAL, 3, &m)) == MPI_ERR_ARG);

    /* f90 types: the sized type, with the f90 combiner. */
    MPI_Datatype f, g;
    int ni, na, nd, comb, ints[4];
    MPI_Aint addrs[1];
    MPI_Datatype types[1];
    MPI_Type_create_f90_real(6, MPI_UNDEFINED, &f);
    BOUNDS(f, 4, 0, 4, 0, 4);
    MPI_Type_get_envelope(f, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_F90_REAL && ni == 2 && na == 0 && nd == 0);
    MPI_Type_get_contents(f, 4, 1, 1, ints, addrs, types);
    CHECK(ints[0] == 6 && ints[1] == MPI_UNDEFINED);
    MPI_Type_create_f90_real(6, MPI_UNDEFINED, &g);
    CHECK(f == g);
    MPI_Type_create_f90_real(15, 300, &f);
    BOUNDS(f, 8, 0, 8, 0, 8);
    MPI_Type_create_f90_integer(9, &f);
    BOUNDS(f, 4, 0, 4, 0, 4);
    MPI_Type_get_envelope(f, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_F90_INTEGER && ni == 1);
    MPI_Type_create_f90_integer(10, &f);
    BOUNDS(f, 8, 0, 8, 0, 8);
    MPI_Type_create_f90_complex(15, MPI_UNDEFINED, &f);
    BOUNDS(f, 16, 0, 16, 0, 16);
    CHECK(err_class(MPI_Type_create_f90_real(40, MPI_UNDEFINED, &f)) != MPI_SUCCESS);
    if (shmpi) {
        MPI_Type_create_f90_integer(9, &f);
        CHECK(err_class(MPI_Type_free(&f)) == MPI_ERR_TYPE);
    }
}

static int copies, deletes;
static int copy_fn(MPI_Datatype old, int kv, void *extra, void *in, void *out, int *flag) {
    (void)old; (void)kv;
    copies++;
    *(void **)out = (char *)in + *(int *)extra;
    *flag = 1;
    return MPI_SUCCESS;
}
static int delete_fn(MPI_Datatype t, int kv, void *val, void *extra) {
    (void)t; (void)kv; (void)val; (void)extra;
    deletes++;
    return MPI_SUCCESS;
}

static void attributes(void) {
    static int step = 10;
    int kv, kv2, flag;
    void *val;
    MPI_Type_create_keyval(copy_fn, delete_fn, &kv, &step);
    MPI_Type_create_keyval(MPI_TYPE_NULL_COPY_FN, MPI_TYPE_NULL_DELETE_FN, &kv2, NULL);
    MPI_Datatype t, d;
    MPI_Type_contiguous(3, MPI_INT, &t);
    MPI_Type_get_attr(t, kv, &val, &flag);
    CHECK(flag == 0);
    MPI_Type_set_attr(t, kv, (void *)1000);
    MPI_Type_set_attr(t, kv2, (void *)7);
    MPI_Type_get_attr(t, kv, &val, &flag);
    CHECK(flag == 1 && val == (void *)1000);
    /* Replacing calls the delete callback on the old value. */
    MPI_Type_set_attr(t, kv, (void *)2000);
    CHECK(deletes == 1);
    MPI_Type_dup(t, &d);
    CHECK(copies == 1);
    MPI_Type_get_attr(d, kv, &val, &flag);
    CHECK(flag == 1 && val == (void *)2010);
    MPI_Type_get_attr(d, kv2, &val, &flag);
    CHECK(flag == 0);
    MPI_Type_free(&d);
    CHECK(deletes == 2);
    MPI_Type_delete_attr(t, kv);
    CHECK(deletes == 3);
    MPI_Type_get_attr(t, kv, &val, &flag);
    CHECK(flag == 0);
    MPI_Type_set_attr(t, kv, (void *)3000);
    MPI_Type_free(&t);
    CHECK(deletes == 4);
    /* Attributes on a predefined type. */
    MPI_Type_set_attr(MPI_DOUBLE, kv2, (void *)42);
    MPI_Type_get_attr(MPI_DOUBLE, kv2, &val, &flag);
    CHECK(flag == 1 && val == (void *)42);
    MPI_Type_delete_attr(MPI_DOUBLE, kv2);
    MPI_Type_get_attr(MPI_DOUBLE, kv2, &val, &flag);
    CHECK(flag == 0);
    /* MPI_TYPE_DUP_FN copies the value. */
    int kv3;
    MPI_Type_create_keyval(MPI_TYPE_DUP_FN, MPI_TYPE_NULL_DELETE_FN, &kv3, NULL);
    MPI_Type_set_attr(MPI_INT, kv3, (void *)5);
    MPI_Type_dup(MPI_INT, &d);
    MPI_Type_get_attr(d, kv3, &val, &flag);
    CHECK(flag == 1 && val == (void *)5);
    MPI_Type_free(&d);
    MPI_Type_delete_attr(MPI_INT, kv3);
    /* A communicator keyval is no type keyval. */
    int ck;
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, &ck, NULL);
    CHECK(err_class(MPI_Type_set_attr(MPI_INT, ck, NULL)) == MPI_ERR_KEYVAL);
    MPI_Comm_free_keyval(&ck);
    MPI_Type_free_keyval(&kv);
    CHECK(kv == MPI_KEYVAL_INVALID);
    MPI_Type_free_keyval(&kv2);
    MPI_Type_free_keyval(&kv3);
}

static void errors(void) {
    MPI_Datatype t, v;
    CHECK(err_class(MPI_Type_contiguous(-1, MPI_INT, &t)) == MPI_ERR_COUNT);
    CHECK(err_class(MPI_Type_vector(2, -1, 3, MPI_INT, &t)) == MPI_ERR_COUNT);
    int bl[2] = {1, -1}, dp[2] = {0, 4};
    CHECK(err_class(MPI_Type_indexed(2, bl, dp, MPI_INT, &t)) == MPI_ERR_COUNT);
    CHECK(err_class(MPI_Type_contiguous(1, MPI_DATATYPE_NULL, &t)) == MPI_ERR_TYPE);
    CHECK(err_class(MPI_Type_contiguous(2, MPI_INT, NULL)) == MPI_ERR_ARG);
    t = MPI_INT;
    CHECK(err_class(MPI_Type_free(&t)) == MPI_ERR_TYPE && t == MPI_INT);
    t = MPI_DATATYPE_NULL;
    CHECK(err_class(MPI_Type_free(&t)) == MPI_ERR_TYPE);
    CHECK(err_class(MPI_Type_commit(&t)) == MPI_ERR_TYPE);
    int s;
    CHECK(err_class(MPI_Type_size(MPI_DATATYPE_NULL, &s)) == MPI_ERR_TYPE);
    MPI_Type_vector(2, 1, 2, MPI_INT, &v);
    int x[4] = {0};
    CHECK(err_class(MPI_Send(x, 1, v, MPI_PROC_NULL, 0, MPI_COMM_WORLD)) == MPI_ERR_TYPE);
    CHECK(err_class(MPI_Pack_size(1, v, MPI_COMM_WORLD, &s)) == MPI_ERR_TYPE);
    MPI_Type_commit(&v);
    CHECK(MPI_Send(x, 1, v, MPI_PROC_NULL, 0, MPI_COMM_WORLD) == MPI_SUCCESS);
    int sizes[2] = {4, 4}, subs[2] = {2, 2}, starts[2] = {0, 0};
    CHECK(err_class(MPI_Type_create_subarray(2, sizes, subs, starts, 99, MPI_INT, &t)) == MPI_ERR_ARG);
    if (shmpi) {
        /* Freed and garbage handles (MPICH does not check these). */
        MPI_Datatype old = v;
        MPI_Type_free(&v);
        CHECK(err_class(MPI_Type_size(old, &s)) == MPI_ERR_TYPE);
        CHECK(err_class(MPI_Type_commit(&old)) == MPI_ERR_TYPE);
        CHECK(err_class(MPI_Type_contiguous(2, old, &t)) == MPI_ERR_TYPE);
        CHECK(err_class(MPI_Type_size((MPI_Datatype)0x8c0000ff, &s)) == MPI_ERR_TYPE);
        CHECK(err_class(MPI_Type_size((MPI_Datatype)0x12345678, &s)) == MPI_ERR_TYPE);
        subs[1] = 5;
        CHECK(err_class(MPI_Type_create_subarray(2, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &t)) == MPI_ERR_ARG);
        /* An empty subarray is allowed (as MPICH, MPI-4.1): a process may
         * own none of the array; its extent is still the whole array's. */
        int esizes[2] = {4, 6}, esubs[2] = {0, 3}, estarts[2] = {4, 1};
        CHECK(MPI_Type_create_subarray(2, esizes, esubs, estarts, MPI_ORDER_C, MPI_INT, &t) == MPI_SUCCESS);
        BOUNDS(t, 0, 0, 96, 0, 0);
        MPI_Type_free(&t);
        CHECK(err_class(MPI_Type_create_subarray(0, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &t)) == MPI_ERR_DIMS);
        int gs[1] = {10}, di[1] = {MPI_DISTRIBUTE_BLOCK}, da[1] = {MPI_DISTRIBUTE_DFLT_DARG}, ps[1] = {2};
        CHECK(err_class(MPI_Type_create_darray(3, 0, 1, gs, di, da, ps, MPI_ORDER_C, MPI_INT, &t)) == MPI_ERR_ARG);
        int kv = 12345;
        CHECK(err_class(MPI_Type_set_attr(MPI_INT, kv, NULL)) == MPI_ERR_KEYVAL);
    } else {
        MPI_Type_free(&v);
    }
}

/* Sends to and receives from the partner (self when there is none). */
static int partner(void) {
    int p = rank ^ 1;
    return p < size ? p : rank;
}

static void communication(void) {
    int p = partner();
    MPI_Status st;
    /* A matrix column, sent as a vector, received as contiguous ints, and back. */
    enum { R = 4, C = 5 };
    int m[R][C], col[R], m2[R][C];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) m[i][j] = rank * 1000 + i * 10 + j;
    MPI_Datatype column;
    MPI_Type_vector(R, 1, C, MPI_INT, &column);
    MPI_Type_commit(&column);
    MPI_Sendrecv(&m[0][2], 1, column, p, 1, col, R, MPI_INT, p, 1, MPI_COMM_WORLD, &st);
    for (int i = 0; i < R; i++) CHECK(col[i] == p * 1000 + i * 10 + 2);
    int cnt;
    MPI_Get_count(&st, MPI_INT, &cnt);
    CHECK(cnt == R);
    for (int i = 0; i < R; i++) col[i] = rank * 7 + i;
    memset(m2, 0xff, sizeof m2);
    MPI_Sendrecv(col, R, MPI_INT, p, 2, &m2[0][3], 1, column, p, 2, MPI_COMM_WORLD, &st);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) CHECK(m2[i][j] == (j == 3 ? p * 7 + i : -1));
    MPI_Get_count(&st, column, &cnt);
    CHECK(cnt == 1);

    /* A struct at absolute addresses, sent from and received at MPI_BOTTOM. */
    struct rec { int a; double b; char c[3]; } out = {rank + 1, rank * 0.5, {'x', 'y', (char)('0' + rank % 10)}}, in;
    memset(&in, 0, sizeof in);
    MPI_Datatype so, si;
    int bl[3] = {1, 1, 3};
    MPI_Aint ao[3], ai[3];
    MPI_Datatype ty[3] = {MPI_INT, MPI_DOUBLE, MPI_CHAR};
    MPI_Get_address(&out.a, &ao[0]);
    MPI_Get_address(&out.b, &ao[1]);
    MPI_Get_address(&out.c, &ao[2]);
    MPI_Get_address(&in.a, &ai[0]);
    MPI_Get_address(&in.b, &ai[1]);
    MPI_Get_address(&in.c, &ai[2]);
    MPI_Type_create_struct(3, bl, ao, ty, &so);
    MPI_Type_create_struct(3, bl, ai, ty, &si);
    MPI_Type_commit(&so);
    MPI_Type_commit(&si);
    MPI_Sendrecv(MPI_BOTTOM, 1, so, p, 3, MPI_BOTTOM, 1, si, p, 3, MPI_COMM_WORLD, &st);
    CHECK(in.a == p + 1 && in.b == p * 0.5 && in.c[0] == 'x' && in.c[1] == 'y' && in.c[2] == '0' + p % 10);
    MPI_Get_count(&st, si, &cnt);
    CHECK(cnt == 1);
    MPI_Type_free(&so);
    MPI_Type_free(&si);

    /* A resized type picks one field of each struct of an array. */
    struct kv { int key; double val; } arr[5];
    for (int i = 0; i < 5; i++) { arr[i].key = -i; arr[i].val = rank + i * 0.25; }
    MPI_Datatype one, field;
    int b1 = 1;
    MPI_Aint d1 = offsetof(struct kv, val);
    MPI_Datatype t1 = MPI_DOUBLE;
    MPI_Type_create_struct(1, &b1, &d1, &t1, &one);
    MPI_Type_create_resized(one, 0, sizeof(struct kv), &field);
    MPI_Type_free(&one);
    MPI_Type_commit(&field);
    double vals[5];
    MPI_Sendrecv(arr, 5, field, p, 4, vals, 5, MPI_DOUBLE, p, 4, MPI_COMM_WORLD, &st);
    for (int i = 0; i < 5; i++) CHECK(vals[i] == p + i * 0.25);
    for (int i = 0; i < 5; i++) vals[i] = rank * 10 + i;
    MPI_Sendrecv(vals, 5, MPI_DOUBLE, p, 5, arr, 5, field, p, 5, MPI_COMM_WORLD, &st);
    for (int i = 0; i < 5; i++) CHECK(arr[i].val == p * 10 + i && arr[i].key == -i);
    MPI_Type_free(&field);

    /* Halo exchange in a ring with subarrays: 4x4 interior, 1-wide halo. */
    enum { N = 6 };
    int g[N][N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) g[i][j] = (i == 0 || j == 0 || i == N - 1 || j == N - 1) ? -1 : rank * 100 + i * 10 + j;
    int sizes[2] = {N, N}, subs[2] = {N - 2, 1}, right_in[2] = {1, N - 2}, left_halo[2] = {1, 0};
    int left_in[2] = {1, 1}, right_halo[2] = {1, N - 1};
    MPI_Datatype send_r, recv_l, send_l, recv_r;
    MPI_Type_create_subarray(2, sizes, subs, right_in, MPI_ORDER_C, MPI_INT, &send_r);
    MPI_Type_create_subarray(2, sizes, subs, left_halo, MPI_ORDER_C, MPI_INT, &recv_l);
    MPI_Type_create_subarray(2, sizes, subs, left_in, MPI_ORDER_C, MPI_INT, &send_l);
    MPI_Type_create_subarray(2, sizes, subs, right_halo, MPI_ORDER_C, MPI_INT, &recv_r);
    MPI_Type_commit(&send_r);
    MPI_Type_commit(&recv_l);
    MPI_Type_commit(&send_l);
    MPI_Type_commit(&recv_r);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    MPI_Sendrecv(g, 1, send_r, right, 6, g, 1, recv_l, left, 6, MPI_COMM_WORLD, &st);
    MPI_Sendrecv(g, 1, send_l, left, 7, g, 1, recv_r, right, 7, MPI_COMM_WORLD, &st);
    for (int i = 1; i < N - 1; i++) {
        CHECK(g[i][0] == left * 100 + i * 10 + (N - 2));
        CHECK(g[i][N - 1] == right * 100 + i * 10 + 1);
        for (int j = 1; j < N - 1; j++) CHECK(g[i][j] == rank * 100 + i * 10 + j);
    }
    CHECK(g[0][0] == -1 && g[0][2] == -1 && g[N - 1][3] == -1);
    MPI_Type_free(&send_r);
    MPI_Type_free(&recv_l);
    MPI_Type_free(&send_l);
    MPI_Type_free(&recv_r);

    /* A message shorter than the derived receive buffer fills only its part. */
    MPI_Datatype every_other;
    MPI_Type_vector(5, 1, 2, MPI_INT, &every_other);
    MPI_Type_commit(&every_other);
    int three[3] = {rank + 1, rank + 2, rank + 3}, dst[10];
    for (int i = 0; i < 10; i++) dst[i] = -7;
    MPI_Sendrecv(three, 3, MPI_INT, p, 8, dst, 1, every_other, p, 8, MPI_COMM_WORLD, &st);
    for (int i = 0; i < 10; i++) CHECK(dst[i] == (i % 2 == 0 && i < 6 ? p + 1 + i / 2 : -7));
    MPI_Get_count(&st, MPI_INT, &cnt);
    CHECK(cnt == 3);
    MPI_Get_count(&st, every_other, &cnt);
    CHECK(cnt == MPI_UNDEFINED);

    /* A type freed while requests use it keeps working. */
    MPI_Request rq[2];
    for (int i = 0; i < 10; i++) dst[i] = -7;
    int src[10];
    for (int i = 0; i < 10; i++) src[i] = rank * 50 + i;
    MPI_Irecv(dst, 1, every_other, p, 9, MPI_COMM_WORLD, &rq[0]);
    MPI_Isend(src, 1, every_other, p, 9, MPI_COMM_WORLD, &rq[1]);
    MPI_Type_free(&every_other);
    MPI_Wait(&rq[0], MPI_STATUS_IGNORE);
    MPI_Wait(&rq[1], MPI_STATUS_IGNORE);
    for (int i = 0; i < 10; i++) CHECK(dst[i] == (i % 2 == 0 ? p * 50 + i : -7));
    MPI_Type_free(&column);
}

/* The MPI-1 markers MPI_LB and MPI_UB (deprecated, still in MPICH): empty
 * types whose displacement is the bound, sticky through constructors, no
 * struct padding; a classic way to give a struct its C size. */
static void markers(void) {
    BOUNDS(MPI_LB, 0, 0, 0, 0, 0);
    BOUNDS(MPI_UB, 0, 0, 0, 0, 0);
    MPI_Datatype t, c, s;
    int bl[3] = {1, 1, 1};
    MPI_Aint d[3] = {-4, 0, 20};
    MPI_Datatype ty[3] = {MPI_LB, MPI_INT, MPI_UB};
    CHECK(MPI_Type_struct(3, bl, d, ty, &t) == MPI_SUCCESS);
    BOUNDS(t, 4, -4, 24, 0, 4);
    /* No padding to the double's alignment: the UB marker says 12. */
    MPI_Aint d2[2] = {0, 12};
    MPI_Datatype ty2[2] = {MPI_DOUBLE, MPI_UB};
    MPI_Type_create_struct(2, bl, d2, ty2, &s);
    BOUNDS(s, 8, 0, 12, 0, 8);
    MPI_Type_contiguous(3, s, &c);
    BOUNDS(c, 24, 0, 36, 0, 32);
    MPI_Type_free(&c);
    MPI_Type_free(&s);
    /* An LB marker above the data still sets lb. */
    MPI_Aint d3[2] = {4, 0};
    MPI_Datatype ty3[2] = {MPI_LB, MPI_INT};
    MPI_Type_create_struct(2, bl, d3, ty3, &s);
    BOUNDS(s, 4, 4, 0, 0, 4);
    MPI_Type_free(&s);
    /* Three elements of {lb -4, int, ub 20} are the ints 6 apart. */
    MPI_Type_commit(&t);
    int a[24], b[3];
    for (int i = 0; i < 24; i++) a[i] = i;
    MPI_Sendrecv(a + 1, 3, t, 0, 0, b, 3, MPI_INT, 0, 0, MPI_COMM_SELF, MPI_STATUS_IGNORE);
    CHECK(b[0] == 1 && b[1] == 7 && b[2] == 13);
    int ni, na, nd, comb, ints[4];
    MPI_Aint addrs[3];
    MPI_Datatype types[3];
    MPI_Type_get_envelope(t, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_STRUCT && ni == 4 && na == 3 && nd == 3);
    MPI_Type_get_contents(t, ni, na, nd, ints, addrs, types);
    CHECK(types[0] == MPI_LB && types[1] == MPI_INT && types[2] == MPI_UB && addrs[2] == 20);
    MPI_Type_get_envelope(MPI_UB, &ni, &na, &nd, &comb);
    CHECK(comb == MPI_COMBINER_NAMED);
    char name[MPI_MAX_OBJECT_NAME];
    int len;
    MPI_Type_get_name(MPI_LB, name, &len);
    CHECK(strcmp(name, "MPI_LB") == 0);
    MPI_Type_free(&t);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int vlen;
    MPI_Get_library_version(version, &vlen);
    shmpi = strstr(version, "shmpi") != NULL;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);

    constructors();
    envelopes();
    packing();
    names();
    attributes();
    errors();
    communication();
    markers();

    printf("datatypes ok on rank %d of %d%s\n", rank, size, shmpi ? "" : " (MPICH)");
    MPI_Finalize();
    return 0;
}
