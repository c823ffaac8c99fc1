/* Groups through the C interface: sizes and ranks, translation, set
 * operations, inclusion and exclusion by ranks and ranges, comparisons,
 * freeing, and the errors of bad arguments. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

static int rank, size;

/* The world ranks of group g (via translation to the world group). */
static void members(MPI_Group g, MPI_Group world, int *out, int *n) {
    MPI_Group_size(g, n);
    int *r = malloc((*n + 1) * sizeof(int));
    for (int i = 0; i < *n; i++) r[i] = i;
    MPI_Group_translate_ranks(g, *n, r, world, out);
    free(r);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN); /* errors on no communicator */
    int n, r, res, out[64];

    MPI_Group world;
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    MPI_Group_size(world, &n);
    CHECK(n == size);
    MPI_Group_rank(world, &r);
    CHECK(r == rank);

    /* Evens and odds by incl / excl. */
    int evens_r[64], ne = 0;
    for (int i = 0; i < size; i += 2) evens_r[ne++] = i;
    MPI_Group evens, odds;
    MPI_Group_incl(world, ne, evens_r, &evens);
    MPI_Group_excl(world, ne, evens_r, &odds);
    MPI_Group_size(evens, &n);
    CHECK(n == ne);
    MPI_Group_rank(evens, &r);
    CHECK(r == (rank % 2 == 0 ? rank / 2 : MPI_UNDEFINED));
    MPI_Group_size(odds, &n);
    CHECK(n == size - ne);
    if (size == 1) CHECK(odds == MPI_GROUP_EMPTY);
    members(odds, world, out, &n);
    for (int i = 0; i < n; i++) CHECK(out[i] == 2 * i + 1);

    /* Translation: PROC_NULL stays, ranks not in the other group are UNDEFINED. */
    int in3[3] = {0, MPI_PROC_NULL, size - 1}, tr[3];
    MPI_Group_translate_ranks(world, 3, in3, evens, tr);
    CHECK(tr[0] == 0 && tr[1] == MPI_PROC_NULL);
    CHECK(tr[2] == ((size - 1) % 2 == 0 ? (size - 1) / 2 : MPI_UNDEFINED));

    /* Set operations. */
    MPI_Group u, x, d, d2;
    MPI_Group_union(odds, evens, &u);
    members(u, world, out, &n);
    CHECK(n == size);
    for (int i = 0; i < n; i++) CHECK(out[i] == (i < size - ne ? 2 * i + 1 : 2 * (i - (size - ne))));
    MPI_Group_compare(u, world, &res);
    CHECK(res == (size <= 1 ? MPI_IDENT : MPI_SIMILAR));
    MPI_Group_intersection(world, evens, &x);
    MPI_Group_compare(x, evens, &res);
    CHECK(res == MPI_IDENT);
    MPI_Group_intersection(evens, odds, &d2);
    CHECK(d2 == MPI_GROUP_EMPTY);
    MPI_Group_difference(world, evens, &d);
    MPI_Group_compare(d, odds, &res);
    CHECK(res == MPI_IDENT);
    MPI_Group_compare(evens, world, &res);
    CHECK(res == (size == 1 ? MPI_IDENT : MPI_UNEQUAL));

    /* Ranges: reversed world, then every third rank excluded. */
    int rev[1][3] = {{size - 1, 0, -1}};
    MPI_Group reversed;
    MPI_Group_range_incl(world, 1, rev, &reversed);
    members(reversed, world, out, &n);
    CHECK(n == size);
    for (int i = 0; i < n; i++) CHECK(out[i] == size - 1 - i);
    MPI_Group_rank(reversed, &r);
    CHECK(r == size - 1 - rank);
    int thirds[1][3] = {{0, size - 1, 3}};
    MPI_Group rest;
    MPI_Group_range_excl(world, 1, thirds, &rest);
    members(rest, world, out, &n);
    CHECK(n == size - (size + 2) / 3);
    for (int i = 0; i < n; i++) CHECK(out[i] % 3 != 0);
    int two[2][3] = {{0, 0, 1}, {size - 1, size - 1, 1}};
    MPI_Group ends;
    if (size > 1) {
        MPI_Group_range_incl(world, 2, two, &ends);
        members(ends, world, out, &n);
        CHECK(n == 2 && out[0] == 0 && out[1] == size - 1);
        MPI_Group_free(&ends);
    }

    /* Errors, returned. */
    int cls, bad[2] = {0, size};
    MPI_Group g = MPI_GROUP_NULL;
    CHECK(MPI_Group_incl(world, 2, bad, &g) != MPI_SUCCESS);
    MPI_Error_class(MPI_Group_incl(world, 2, bad, &g), &cls);
    CHECK(cls == MPI_ERR_RANK && g == MPI_GROUP_NULL);
    int dup[2] = {0, 0};
    MPI_Error_class(MPI_Group_incl(world, 2, dup, &g), &cls);
    CHECK(cls == MPI_ERR_RANK);
    MPI_Error_class(MPI_Group_excl(world, -1, dup, &g), &cls);
    CHECK(cls == MPI_ERR_ARG);
    int zero[1][3] = {{0, 0, 0}};
    MPI_Error_class(MPI_Group_range_incl(world, 1, zero, &g), &cls);
    CHECK(cls == MPI_ERR_ARG);
    /* A range reaching outside the group, or naming a rank twice, is
     * MPI_ERR_ARG (as MPICH; MPI_Group_incl says MPI_ERR_RANK). */
    int far[1][3] = {{0, size, 1}};
    MPI_Error_class(MPI_Group_range_excl(world, 1, far, &g), &cls);
    CHECK(cls == MPI_ERR_ARG);
    int twice[2][3] = {{0, 0, 1}, {0, 0, 1}};
    MPI_Error_class(MPI_Group_range_incl(world, 2, twice, &g), &cls);
    CHECK(cls == MPI_ERR_ARG);
    int bad_tr[1] = {size};
    MPI_Error_class(MPI_Group_translate_ranks(world, 1, bad_tr, evens, tr), &cls);
    CHECK(cls == MPI_ERR_RANK);
    MPI_Error_class(MPI_Group_size(MPI_GROUP_NULL, &n), &cls);
    CHECK(cls == MPI_ERR_GROUP);

    /* Freeing: handles become MPI_GROUP_NULL and stop working. */
    MPI_Group keep = evens;
    MPI_Group_free(&evens);
    CHECK(evens == MPI_GROUP_NULL);
    MPI_Error_class(MPI_Group_size(keep, &n), &cls);
    CHECK(cls == MPI_ERR_GROUP);
    MPI_Error_class(MPI_Group_free(&keep), &cls);
    CHECK(cls == MPI_ERR_GROUP);
    MPI_Group empty = MPI_GROUP_EMPTY;
    CHECK(MPI_Group_free(&empty) == MPI_SUCCESS && empty == MPI_GROUP_NULL);
    MPI_Group_size(MPI_GROUP_EMPTY, &n);
    CHECK(n == 0);
    MPI_Group_rank(MPI_GROUP_EMPTY, &r);
    CHECK(r == MPI_UNDEFINED);
    MPI_Group all[] = {odds, u, x, d, d2, reversed, rest, world};
    for (int i = 0; i < 8; i++) CHECK(MPI_Group_free(&all[i]) == MPI_SUCCESS && all[i] == MPI_GROUP_NULL);

    MPI_Finalize();
    printf("groups ok on rank %d of %d\n", rank, size);
    return 0;
}
