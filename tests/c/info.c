/* Info objects through the C interface: set, get (truncated and not),
 * get_string, valuelen, nkeys, nthkey, delete, dup, free, the limits on
 * keys and values, and MPI_INFO_ENV / MPI_Info_create_env. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

static int rank, size;

int main(int argc, char **argv) {
    /* Info works before MPI_Init (MPI-4). */
    MPI_Info early;
    int flag, n, len, cls;
    CHECK(MPI_Info_create(&early) == MPI_SUCCESS);
    CHECK(MPI_Info_set(early, "a", "1") == MPI_SUCCESS);
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    char v[MPI_MAX_INFO_VAL + 1], k[MPI_MAX_INFO_KEY + 1];

    MPI_Info_get_nkeys(early, &n);
    CHECK(n == 1);
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_get_nkeys(info, &n);
    CHECK(n == 0);
    MPI_Info_set(info, "colour", "blue");
    MPI_Info_set(info, "size", "large");
    MPI_Info_set(info, "colour", "green"); /* replaces, keeps its place */
    MPI_Info_get_nkeys(info, &n);
    CHECK(n == 2);
    MPI_Info_get_nthkey(info, 0, k);
    CHECK(strcmp(k, "colour") == 0);
    MPI_Info_get_nthkey(info, 1, k);
    CHECK(strcmp(k, "size") == 0);
    MPI_Info_get(info, "colour", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag == 1 && strcmp(v, "green") == 0);
    MPI_Info_get(info, "colour", 3, v, &flag); /* truncated to 3 characters */
    CHECK(flag == 1 && strcmp(v, "gre") == 0);
    MPI_Info_get(info, "shape", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag == 0);
    MPI_Info_get_valuelen(info, "size", &len, &flag);
    CHECK(flag == 1 && len == 5);
    MPI_Info_get_valuelen(info, "shape", &len, &flag);
    CHECK(flag == 0);

    /* get_string: the length needed comes back; a short buffer truncates. */
    int buflen = 0;
    MPI_Info_get_string(info, "size", &buflen, NULL, &flag);
    CHECK(flag == 1 && buflen == 6);
    char small[3];
    buflen = 3;
    MPI_Info_get_string(info, "size", &buflen, small, &flag);
    CHECK(flag == 1 && buflen == 6 && strcmp(small, "la") == 0);
    buflen = sizeof v;
    MPI_Info_get_string(info, "size", &buflen, v, &flag);
    CHECK(flag == 1 && buflen == 6 && strcmp(v, "large") == 0);
    buflen = 17;
    MPI_Info_get_string(info, "shape", &buflen, v, &flag);
    CHECK(flag == 0 && buflen == 17);

    /* dup is a copy: changes to one do not show in the other. */
    MPI_Info copy;
    MPI_Info_dup(info, &copy);
    MPI_Info_delete(info, "colour");
    MPI_Info_get_nkeys(info, &n);
    CHECK(n == 1);
    MPI_Info_get(copy, "colour", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag == 1 && strcmp(v, "green") == 0);

    /* Errors. */
    MPI_Error_class(MPI_Info_delete(info, "colour"), &cls);
    CHECK(cls == MPI_ERR_INFO_NOKEY);
    char longkey[MPI_MAX_INFO_KEY + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = 0;
    MPI_Error_class(MPI_Info_set(info, longkey, "x"), &cls);
    CHECK(cls == MPI_ERR_INFO_KEY);
    longkey[MPI_MAX_INFO_KEY] = 0; /* exactly MPI_MAX_INFO_KEY: fine */
    CHECK(MPI_Info_set(info, longkey, "x") == MPI_SUCCESS);
    MPI_Error_class(MPI_Info_set(info, "", "x"), &cls);
    CHECK(cls == MPI_ERR_INFO_KEY);
    char *longval = malloc(MPI_MAX_INFO_VAL + 2);
    memset(longval, 'v', MPI_MAX_INFO_VAL + 1);
    longval[MPI_MAX_INFO_VAL + 1] = 0;
    MPI_Error_class(MPI_Info_set(info, "big", longval), &cls);
    CHECK(cls == MPI_ERR_INFO_VALUE);
    longval[MPI_MAX_INFO_VAL] = 0;
    CHECK(MPI_Info_set(info, "big", longval) == MPI_SUCCESS);
    MPI_Info_get_valuelen(info, "big", &len, &flag);
    CHECK(flag && len == MPI_MAX_INFO_VAL);
    free(longval);
    MPI_Error_class(MPI_Info_get_nthkey(info, 99, k), &cls);
    CHECK(cls == MPI_ERR_ARG);
    MPI_Error_class(MPI_Info_get_nkeys(MPI_INFO_NULL, &n), &cls);
    CHECK(cls == MPI_ERR_INFO);

    /* MPI_INFO_ENV: what the standard suggests, read-only. */
    MPI_Info_get(MPI_INFO_ENV, "maxprocs", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && atoi(v) == size);
    MPI_Info_get(MPI_INFO_ENV, "command", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strstr(v, "info") != NULL);
    MPI_Info_get(MPI_INFO_ENV, "thread_level", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strcmp(v, "MPI_THREAD_SINGLE") == 0);
    MPI_Info_get(MPI_INFO_ENV, "wdir", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && v[0] == '/');
    MPI_Info_get(MPI_INFO_ENV, "arch", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strlen(v) > 0);
    MPI_Error_class(MPI_Info_set(MPI_INFO_ENV, "a", "b"), &cls);
    CHECK(cls == MPI_ERR_INFO);
    MPI_Info env = MPI_INFO_ENV;
    MPI_Error_class(MPI_Info_free(&env), &cls);
    CHECK(cls == MPI_ERR_INFO && env == MPI_INFO_ENV);
    MPI_Info envdup;
    MPI_Info_dup(MPI_INFO_ENV, &envdup);
    CHECK(MPI_Info_set(envdup, "a", "b") == MPI_SUCCESS);
    MPI_Info_free(&envdup);
    char *args[] = {"prog", "x", "y", NULL};
    MPI_Info mine;
    MPI_Info_create_env(3, args, &mine);
    MPI_Info_get(mine, "command", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strcmp(v, "prog") == 0);
    MPI_Info_get(mine, "argv", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strcmp(v, "x y") == 0);
    MPI_Info_free(&mine);

    /* Freeing: handles become MPI_INFO_NULL and stop working. */
    MPI_Info keep = copy;
    MPI_Info_free(&copy);
    CHECK(copy == MPI_INFO_NULL);
    MPI_Error_class(MPI_Info_get_nkeys(keep, &n), &cls);
    CHECK(cls == MPI_ERR_INFO);
    MPI_Info_free(&info);
    MPI_Info_free(&early);
    MPI_Finalize();
    printf("info ok on rank %d of %d\n", rank, size);
    return 0;
}
