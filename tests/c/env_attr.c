/* Environment and attributes through the C interface: thread levels,
 * versions, names, clocks, memory, predefined attributes on the world,
 * user keyvals with copy and delete callbacks (what mpi4py relies on),
 * their deletion at MPI_Finalize, and ranks that skip MPI_Finalize. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

static int copies, deletes;

static int copy_fn(MPI_Comm old, int key, void *extra, void *in, void *out, int *flag) {
    (void)old; (void)key;
    CHECK(*(int *)extra == 42);
    copies++;
    *(void **)out = (char *)in + 1;
    *flag = 1;
    return MPI_SUCCESS;
}

static int delete_fn(MPI_Comm comm, int key, void *value, void *extra) {
    (void)comm; (void)key; (void)value; (void)extra;
    deletes++;
    return MPI_SUCCESS;
}

/* Delete callbacks record the order they run in (value = index). */
static int order[8], norder, failing;

static int record_fn(MPI_Comm comm, int key, void *value, void *extra) {
    (void)comm; (void)key; (void)extra;
    int fin;
    MPI_Finalized(&fin);
    CHECK(!fin && norder < 8);
    order[norder++] = (int)(long)value;
    return MPI_SUCCESS;
}

static int copybomb_fn(MPI_Comm old, int key, void *extra, void *in, void *out, int *flag) {
    (void)old; (void)key; (void)extra; (void)in; (void)out;
    *flag = 1;
    return MPI_ERR_OTHER;
}

static int deletebomb_fn(MPI_Comm comm, int key, void *value, void *extra) {
    (void)comm; (void)key; (void)value; (void)extra;
    return failing ? MPI_ERR_OTHER : MPI_SUCCESS;
}

/* A delete callback on MPI_COMM_SELF that receives, at MPI_Finalize, a
 * large message the left neighbour sent without waiting for it. */
#define BIG (1 << 18)
static double *big_in;

static int receive_fn(MPI_Comm comm, int key, void *value, void *extra) {
    (void)comm; (void)key; (void)value; (void)extra;
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Recv(big_in, BIG, MPI_DOUBLE, (rank + size - 1) % size, 77, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    CHECK(big_in[BIG - 1] == (rank + size - 1) % size);
    return MPI_SUCCESS;
}

int main(int argc, char **argv) {
    int provided, flag, size;
    MPI_Initialized(&flag);
    if (flag != 0) return 2;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* With "skip_finalize", one rank returns without MPI_Finalize while the
     * others finalize (they must be told, not left hanging); with
     * "no_finalize", no rank finalizes (the job still succeeds). */
    if (argc > 1 && strcmp(argv[1], "skip_finalize") == 0) {
        if (rank == size - 1) return 0;
        MPI_Finalize();
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "no_finalize") == 0) return 0;
    CHECK(provided == MPI_THREAD_SERIALIZED);
    int q;
    MPI_Query_thread(&q);
    CHECK(q == provided);
    MPI_Is_thread_main(&flag);
    CHECK(flag == 1);

    int v, sv;
    MPI_Get_version(&v, &sv);
    CHECK(v == MPI_VERSION && sv == MPI_SUBVERSION);
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int len;
    MPI_Get_library_version(lib, &len);
    CHECK(strncmp(lib, "shmpi", 5) == 0 && (int)strlen(lib) == len);
    char host[MPI_MAX_PROCESSOR_NAME];
    MPI_Get_processor_name(host, &len);
    CHECK(len > 0 && (int)strlen(host) == len);

    double t0 = MPI_Wtime(), tick = MPI_Wtick();
    CHECK(tick > 0 && tick < 1e-3);
    CHECK(MPI_Wtime() >= t0);

    void *mem;
    MPI_Alloc_mem(1000, MPI_INFO_NULL, &mem);
    memset(mem, 7, 1000);
    MPI_Free_mem(mem);
    MPI_Pcontrol(1);

    /* Predefined attributes of the world. */
    int *val, x0[3] = {1, 2, 3}, y0[3];
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &val, &flag);
    CHECK(flag && *val >= 32767);
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_WTIME_IS_GLOBAL, &val, &flag);
    CHECK(flag && *val == 1);
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_UNIVERSE_SIZE, &val, &flag);
    CHECK(flag && *val >= size);
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_APPNUM, &val, &flag);
    CHECK(flag && *val == 0);

    /* A user keyval: set, get, copied by dup, deleted by free. */
    int key, extra = 42;
    static char base[8];
    MPI_Comm_create_keyval(copy_fn, delete_fn, &key, &extra);
    MPI_Comm_set_attr(MPI_COMM_WORLD, key, base);
    char *got;
    MPI_Comm_get_attr(MPI_COMM_WORLD, key, &got, &flag);
    CHECK(flag && got == base);
    MPI_Comm dup;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    CHECK(copies == 1);
    MPI_Comm_get_attr(dup, key, &got, &flag);
    CHECK(flag && got == base + 1);
    MPI_Comm_free(&dup);
    CHECK(deletes == 1);
    MPI_Comm_set_attr(MPI_COMM_WORLD, key, base + 2); /* replaces: deletes the old value */
    CHECK(deletes == 2);
    MPI_Comm_delete_attr(MPI_COMM_WORLD, key);
    CHECK(deletes == 3);
    MPI_Comm_get_attr(MPI_COMM_WORLD, key, &got, &flag);
    CHECK(flag == 0);
    MPI_Comm_free_keyval(&key);
    CHECK(key == MPI_KEYVAL_INVALID);

    /* MPI_COMM_DUP_FN copies the value as is. */
    int key2;
    MPI_Comm_create_keyval(MPI_COMM_DUP_FN, MPI_COMM_NULL_DELETE_FN, &key2, NULL);
    MPI_Comm_set_attr(MPI_COMM_WORLD, key2, base + 5);
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    MPI_Comm_get_attr(dup, key2, &got, &flag);
    CHECK(flag && got == base + 5);
    MPI_Comm_free(&dup);

    /* The MPI-1 names of the same operations. */
    int key1;
    MPI_Keyval_create(MPI_NULL_COPY_FN, delete_fn, &key1, NULL);
    MPI_Attr_put(MPI_COMM_WORLD, key1, base + 6);
    MPI_Attr_get(MPI_COMM_WORLD, key1, &got, &flag);
    CHECK(flag && got == base + 6);
    MPI_Comm_dup(MPI_COMM_WORLD, &dup); /* MPI_NULL_COPY_FN: not copied */
    MPI_Attr_get(dup, key1, &got, &flag);
    CHECK(flag == 0);
    MPI_Comm_free(&dup);
    MPI_Attr_delete(MPI_COMM_WORLD, key1);
    CHECK(deletes == 4);
    MPI_Keyval_free(&key1);
    CHECK(key1 == MPI_KEYVAL_INVALID);
    MPI_Attr_get(MPI_COMM_WORLD, MPI_TAG_UB, &val, &flag);
    CHECK(flag && *val >= 32767);

    /* Every communicator answers the predefined attributes (as in MPICH;
     * libraries ask their own communicator for MPI_TAG_UB). */
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    MPI_Comm_get_attr(dup, MPI_TAG_UB, &val, &flag);
    CHECK(flag && *val >= 32767);
    MPI_Comm_free(&dup);
    MPI_Comm_get_attr(MPI_COMM_SELF, MPI_TAG_UB, &val, &flag);
    CHECK(flag && *val >= 32767);

    /* Deleting an attribute the communicator does not hold does nothing. */
    int key3;
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, delete_fn, &key3, NULL);
    CHECK(MPI_Comm_delete_attr(MPI_COMM_WORLD, key3) == MPI_SUCCESS);
    CHECK(deletes == 4);

    /* A keyval freed while an attribute uses it lives on until the
     * attribute is deleted: its delete callback still runs, also through a
     * copy of the freed handle. */
    int key3_copy = key3;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    MPI_Comm_set_attr(dup, key3, base);
    MPI_Comm_set_attr(MPI_COMM_WORLD, key3, base + 1);
    MPI_Comm_free_keyval(&key3);
    CHECK(key3 == MPI_KEYVAL_INVALID);
    MPI_Comm_free(&dup);
    CHECK(deletes == 5);
    MPI_Comm_get_attr(MPI_COMM_WORLD, key3_copy, &got, &flag);
    CHECK(flag && got == base + 1);
    MPI_Comm_delete_attr(MPI_COMM_WORLD, key3_copy);
    CHECK(deletes == 6);

    /* A status through its Fortran forms and back. */
    MPI_Status st, back;
    MPI_Fint fst[MPI_F_STATUS_SIZE];
    MPI_F08_status f08;
    MPI_Sendrecv(&x0, 3, MPI_INT, 0, 9, y0, 3, MPI_INT, 0, 9, MPI_COMM_SELF, &st);
    CHECK(MPI_Status_c2f(&st, fst) == MPI_SUCCESS);
    CHECK(fst[MPI_F_SOURCE] == 0 && fst[MPI_F_TAG] == 9);
    CHECK(MPI_Status_f2f08(fst, &f08) == MPI_SUCCESS);
    CHECK(f08.MPI_SOURCE == 0 && f08.MPI_TAG == 9);
    CHECK(MPI_Status_f082f(&f08, fst) == MPI_SUCCESS);
    CHECK(MPI_Status_f082c(&f08, &back) == MPI_SUCCESS);
    CHECK(MPI_Status_c2f08(&back, &f08) == MPI_SUCCESS);
    CHECK(MPI_Status_f2c(fst, &back) == MPI_SUCCESS);
    CHECK(back.MPI_SOURCE == 0 && back.MPI_TAG == 9);
    int n3;
    MPI_Get_count(&back, MPI_INT, &n3);
    CHECK(n3 == 3);

    /* Names. */
    char name[MPI_MAX_OBJECT_NAME];
    MPI_Comm_get_name(MPI_COMM_WORLD, name, &len);
    CHECK(strcmp(name, "MPI_COMM_WORLD") == 0 && len == 14);
    MPI_Comm_set_name(MPI_COMM_SELF, "me");
    MPI_Comm_get_name(MPI_COMM_SELF, name, &len);
    CHECK(strcmp(name, "me") == 0);

    /* MPI_COMM_SELF is a communicator of one. */
    int r, s;
    MPI_Comm_rank(MPI_COMM_SELF, &r);
    MPI_Comm_size(MPI_COMM_SELF, &s);
    CHECK(r == 0 && s == 1);
    int x = rank + 100, y = 0;
    MPI_Sendrecv(&x, 1, MPI_INT, 0, 3, &y, 1, MPI_INT, 0, 3, MPI_COMM_SELF, MPI_STATUS_IGNORE);
    CHECK(y == rank + 100);

    /* Errors before the error handler is changed would be fatal; with
     * MPI_ERRORS_RETURN they come back, also for calls on no object. */
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    int e = MPI_Comm_free_keyval(&key), cls;
    MPI_Error_class(e, &cls);
    CHECK(cls == MPI_ERR_KEYVAL);
    e = MPI_Comm_free_keyval(&key3_copy); /* freed, and no longer used */
    MPI_Error_class(e, &cls);
    CHECK(cls == MPI_ERR_KEYVAL);
    e = MPI_Status_c2f(MPI_STATUS_IGNORE, (MPI_Fint *)&x);
    MPI_Error_class(e, &cls);
    CHECK(cls == MPI_ERR_ARG);

    /* Attributes are deleted newest first (set order, not keyval order). */
    int keys[8];
    for (int i = 0; i < 8; i++) MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, record_fn, &keys[i], NULL);
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    for (int i = 0; i < 8; i++) MPI_Comm_set_attr(dup, keys[(i * 3) % 8], (void *)(long)i);
    MPI_Comm_free(&dup);
    CHECK(norder == 8);
    for (int i = 0; i < 8; i++) CHECK(order[i] == 7 - i);

    /* A failing delete callback keeps the attribute (MPI_Comm_set_attr,
     * MPI_Comm_delete_attr); a failing copy callback fails MPI_Comm_dup
     * with MPI_COMM_NULL (as MPICH). */
    int bomb;
    MPI_Comm_create_keyval(copybomb_fn, deletebomb_fn, &bomb, NULL);
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
    failing = 1;
    CHECK(MPI_Comm_set_attr(dup, bomb, base) == MPI_SUCCESS);
    CHECK(MPI_Comm_set_attr(dup, bomb, base + 1) != MPI_SUCCESS);
    MPI_Comm_get_attr(dup, bomb, &got, &flag);
    CHECK(flag && got == base);
    CHECK(MPI_Comm_delete_attr(dup, bomb) != MPI_SUCCESS);
    MPI_Comm_get_attr(dup, bomb, &got, &flag);
    CHECK(flag && got == base);
    MPI_Comm dup2 = MPI_COMM_WORLD;
    CHECK(MPI_Comm_dup(dup, &dup2) != MPI_SUCCESS && dup2 == MPI_COMM_NULL);
    failing = 0;
    MPI_Comm_free(&dup);
    MPI_Comm_free_keyval(&bomb);

    /* MPI_COMM_SELF's attributes are deleted at the start of MPI_Finalize,
     * newest first (MPI-2.2), also when their keyvals were freed. */
    norder = 0;
    /* The callbacks run before MPI_Finalize completes pending sends: the
     * neighbour's callback receives what this rank's freed Isend carries
     * (deadlocked when pending sends were completed first). */
    int recv_key;
    double *big_out = malloc(BIG * sizeof(double));
    big_in = malloc(BIG * sizeof(double));
    for (int i = 0; i < BIG; i++) big_out[i] = rank;
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, receive_fn, &recv_key, NULL);
    MPI_Comm_set_attr(MPI_COMM_SELF, recv_key, NULL);
    MPI_Comm_free_keyval(&recv_key);
    MPI_Request big_req;
    MPI_Isend(big_out, BIG, MPI_DOUBLE, (rank + 1) % size, 77, MPI_COMM_WORLD, &big_req);
    MPI_Request_free(&big_req);
    for (int i = 0; i < 7; i++) MPI_Comm_set_attr(MPI_COMM_SELF, keys[(i * 5) % 8], (void *)(long)(i + 1));
    /* ... and then MPI_COMM_WORLD's (as MPICH). */
    MPI_Comm_set_attr(MPI_COMM_WORLD, keys[0], (void *)0L);
    for (int i = 0; i < 8; i++) MPI_Comm_free_keyval(&keys[i]);
    MPI_Finalize();
    if (norder != 8) return 3;
    for (int i = 0; i < 7; i++)
        if (order[i] != 7 - i) return 4;
    if (order[7] != 0) return 5;
    if (rank == 0) printf("env_attr ok on %d ranks\n", size);
    return 0;
}
