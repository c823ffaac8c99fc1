/* Communicators through the C interface: create, create_group,
 * split_type, dup_with_info and info hints, comparisons, parent and
 * intercommunicator queries. Every new communicator is checked by real
 * traffic: a ring of Sendrecv whose messages carry world ranks. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

static int rank, size;

/* Checks that comm has `n` ranks, that this process is comm rank
 * `me`, and that comm rank i is world rank world_of[i], by a ring. */
static void ring(MPI_Comm comm, int n, int me, const int *world_of) {
    int s, r;
    MPI_Comm_size(comm, &s);
    MPI_Comm_rank(comm, &r);
    CHECK(s == n && r == me && world_of[me] == rank);
    int right = (r + 1) % s, left = (r + s - 1) % s, got[2] = {-1, -1}, mine[2] = {rank, r};
    MPI_Status st;
    CHECK(MPI_Sendrecv(mine, 2, MPI_INT, right, 7, got, 2, MPI_INT, left, 7, comm, &st) == MPI_SUCCESS);
    CHECK(got[0] == world_of[left] && got[1] == left && st.MPI_SOURCE == left);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN); /* errors on no communicator */
    int res, cls, flag, map[64], rev[64];
    for (int i = 0; i < size; i++) map[i] = i, rev[i] = size - 1 - i;

    /* split_type SHARED: everyone, ordered by key (here: reversed). */
    MPI_Comm shared, back, none;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, size - rank, MPI_INFO_NULL, &shared);
    CHECK(shared != MPI_COMM_NULL);
    ring(shared, size, size - 1 - rank, rev);
    MPI_Comm_compare(shared, MPI_COMM_WORLD, &res);
    CHECK(res == (size == 1 ? MPI_CONGRUENT : MPI_SIMILAR));
    /* MPI_UNDEFINED on odd ranks; the even ranks still get the whole rest. */
    MPI_Comm_split_type(shared, rank % 2 ? MPI_UNDEFINED : MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &back);
    int evens[64], ne = 0;
    for (int i = 0; i < size; i += 2) evens[ne++] = i;
    if (rank % 2) CHECK(back == MPI_COMM_NULL);
    else ring(back, ne, rank / 2, evens);
    /* Unguided: no strict subset of one machine; guided by shared memory: all. */
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_HW_UNGUIDED, 0, MPI_INFO_NULL, &none);
    CHECK(none == MPI_COMM_NULL);
    MPI_Info hw;
    MPI_Info_create(&hw);
    MPI_Info_set(hw, "mpi_hw_resource_type", "mpi_shared_memory");
    MPI_Comm guided;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_HW_GUIDED, rank, hw, &guided);
    ring(guided, size, rank, map);
    MPI_Comm_compare(guided, MPI_COMM_WORLD, &res);
    CHECK(res == MPI_CONGRUENT);
    MPI_Info_set(hw, "mpi_hw_resource_type", "no_such_thing");
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_HW_GUIDED, rank, hw, &none);
    CHECK(none == MPI_COMM_NULL);
    MPI_Error_class(MPI_Comm_split_type(MPI_COMM_WORLD, 99, 0, MPI_INFO_NULL, &none), &cls);
    CHECK(cls == MPI_ERR_ARG);

    /* Comm_create: the even ranks, in reverse order. */
    MPI_Group world, g_rev_evens, g_odds;
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    int rev_evens[64];
    for (int i = 0; i < ne; i++) rev_evens[i] = evens[ne - 1 - i];
    MPI_Group_incl(world, ne, rev_evens, &g_rev_evens);
    MPI_Comm c_evens;
    CHECK(MPI_Comm_create(MPI_COMM_WORLD, g_rev_evens, &c_evens) == MPI_SUCCESS);
    if (rank % 2) CHECK(c_evens == MPI_COMM_NULL);
    else ring(c_evens, ne, ne - 1 - rank / 2, rev_evens);
    /* A group that is not inside the communicator: MPI_ERR_GROUP. */
    if (rank % 2 == 0 && size > 1) {
        MPI_Comm bad = MPI_COMM_WORLD;
        MPI_Error_class(MPI_Comm_create(c_evens, world, &bad), &cls);
        CHECK(cls == MPI_ERR_GROUP);
    }
    /* Disjoint groups at once (MPI-2.2): evens and odds. */
    int odds[64], no = 0;
    for (int i = 1; i < size; i += 2) odds[no++] = i;
    MPI_Group_incl(world, no, odds, &g_odds);
    MPI_Comm halves;
    MPI_Comm_create(MPI_COMM_WORLD, rank % 2 ? g_odds : g_rev_evens, &halves);
    if (rank % 2) ring(halves, no, rank / 2, odds);
    else ring(halves, ne, ne - 1 - rank / 2, rev_evens);
    MPI_Comm_compare(halves, c_evens, &res);
    if (rank % 2 == 0) CHECK(res == MPI_CONGRUENT);

    /* Comm_create_group: only the members call it. */
    MPI_Comm cg;
    if (rank % 2 == 0) CHECK(MPI_Comm_create_group(MPI_COMM_WORLD, g_rev_evens, 5, &cg) == MPI_SUCCESS);
    else CHECK(MPI_Comm_create_group(MPI_COMM_WORLD, g_odds, 6, &cg) == MPI_SUCCESS);
    if (rank % 2) ring(cg, no, rank / 2, odds);
    else ring(cg, ne, ne - 1 - rank / 2, rev_evens);
    /* ... on a communicator made from it, again, and traffic on both. */
    MPI_Comm cg2;
    MPI_Group cg_group;
    MPI_Comm_group(cg, &cg_group);
    CHECK(MPI_Comm_create_group(cg, cg_group, 0, &cg2) == MPI_SUCCESS);
    MPI_Comm_compare(cg, cg2, &res);
    CHECK(res == MPI_CONGRUENT);
    if (rank % 2) ring(cg2, no, rank / 2, odds);
    else ring(cg2, ne, ne - 1 - rank / 2, rev_evens);
    MPI_Comm cg3;
    MPI_Error_class(MPI_Comm_create_group(cg, cg_group, -1, &cg3), &cls);
    CHECK(cls == MPI_ERR_TAG);
    /* Overlapping groups, same tag, one after another: A = {0, 1} then
     * B = {0, 2}. Rank 2 enters B before rank 1 enters A (it tells rank 1
     * to go only once it is about to), so rank 0, still in A, sees B's
     * traffic from rank 2, whose rank in B is rank 1's in A: the two
     * calls' messages must not mix (MPICH runs this). */
    if (size >= 3) {
        MPI_Group world_group, ga, gb;
        MPI_Comm ca, cb;
        int a_ranks[2] = {0, 1}, b_ranks[2] = {0, 2}, go = 0, sum = 0;
        MPI_Comm_group(MPI_COMM_WORLD, &world_group);
        MPI_Group_incl(world_group, 2, a_ranks, &ga);
        MPI_Group_incl(world_group, 2, b_ranks, &gb);
        if (rank == 1) MPI_Recv(&go, 1, MPI_INT, 2, 77, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (rank == 2) MPI_Send(&go, 1, MPI_INT, 1, 77, MPI_COMM_WORLD);
        if (rank == 0 || rank == 1) {
            CHECK(MPI_Comm_create_group(MPI_COMM_WORLD, ga, 9, &ca) == MPI_SUCCESS);
            MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, ca);
            CHECK(sum == 1);
            MPI_Comm_free(&ca);
        }
        if (rank == 0 || rank == 2) {
            CHECK(MPI_Comm_create_group(MPI_COMM_WORLD, gb, 9, &cb) == MPI_SUCCESS);
            MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, cb);
            CHECK(sum == 2);
            MPI_Comm_free(&cb);
        }
        MPI_Group_free(&ga);
        MPI_Group_free(&gb);
        MPI_Group_free(&world_group);
    }
    /* The world still works after all of this (traffic, then a dup). */
    ring(MPI_COMM_WORLD, size, rank, map);

    /* Comparisons. */
    MPI_Comm dup;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    MPI_Comm_compare(MPI_COMM_WORLD, MPI_COMM_WORLD, &res);
    CHECK(res == MPI_IDENT);
    MPI_Comm_compare(dup, MPI_COMM_WORLD, &res);
    CHECK(res == MPI_CONGRUENT);
    if (size > 1) {
        MPI_Comm_compare(c_evens == MPI_COMM_NULL ? halves : c_evens, MPI_COMM_WORLD, &res);
        CHECK(res == MPI_UNEQUAL);
    }

    /* Info hints: set, get (a new object), dup copies, dup_with_info replaces. */
    MPI_Info hints, got;
    char v[MPI_MAX_INFO_VAL + 1];
    MPI_Info_create(&hints);
    MPI_Info_set(hints, "mpi_assert_no_any_tag", "true");
    MPI_Comm_set_info(dup, hints);
    MPI_Comm_get_info(dup, &got);
    CHECK(got != hints && got != MPI_INFO_NULL);
    MPI_Info_get(got, "mpi_assert_no_any_tag", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strcmp(v, "true") == 0);
    MPI_Info_free(&got);
    MPI_Comm dup2, dupi;
    MPI_Comm_dup(dup, &dup2);
    MPI_Comm_get_info(dup2, &got);
    MPI_Info_get(got, "mpi_assert_no_any_tag", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strcmp(v, "true") == 0);
    MPI_Info_free(&got);
    MPI_Info_set(hints, "mpi_assert_exact_length", "false");
    MPI_Info_delete(hints, "mpi_assert_no_any_tag");
    MPI_Comm_dup_with_info(dup, hints, &dupi);
    ring(dupi, size, rank, map);
    MPI_Comm_compare(dupi, dup, &res);
    CHECK(res == MPI_CONGRUENT);
    MPI_Comm_get_info(dupi, &got);
    int nk;
    MPI_Info_get_nkeys(got, &nk);
    CHECK(nk == 1);
    MPI_Info_get(got, "mpi_assert_exact_length", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strcmp(v, "false") == 0);
    MPI_Info_free(&got);
    MPI_Comm_dup_with_info(dup, MPI_INFO_NULL, &none);
    MPI_Comm_get_info(none, &got);
    MPI_Info_get_nkeys(got, &nk);
    CHECK(nk == 0);
    MPI_Info_free(&got);
    MPI_Comm_free(&none);

    /* No parent, no intercommunicators. */
    MPI_Comm parent = MPI_COMM_WORLD;
    MPI_Comm_get_parent(&parent);
    CHECK(parent == MPI_COMM_NULL);
    MPI_Comm_test_inter(dup, &flag);
    CHECK(flag == 0);
    int rs;
    MPI_Group rg;
    MPI_Error_class(MPI_Comm_remote_size(dup, &rs), &cls);
    CHECK(cls == MPI_ERR_COMM);
    MPI_Error_class(MPI_Comm_remote_group(dup, &rg), &cls);
    CHECK(cls == MPI_ERR_COMM);
    MPI_Comm nc;
    MPI_Error_class(MPI_Comm_create(MPI_COMM_NULL, world, &nc), &cls);
    CHECK(cls == MPI_ERR_COMM);

    /* Handle conversions: identities (and no files). */
    CHECK(MPI_Comm_f2c(MPI_Comm_c2f(dup)) == dup);
    CHECK(MPI_Group_f2c(MPI_Group_c2f(world)) == world);
    CHECK(MPI_Info_f2c(MPI_Info_c2f(hints)) == hints);
    CHECK(MPI_File_c2f(MPI_FILE_NULL) == 0);
    CHECK(MPI_File_f2c(0) == MPI_FILE_NULL);

    MPI_Comm frees[] = {shared, guided, dup, dup2, dupi, halves, cg, cg2};
    for (int i = 0; i < 8; i++) CHECK(MPI_Comm_free(&frees[i]) == MPI_SUCCESS);
    if (back != MPI_COMM_NULL) MPI_Comm_free(&back);
    if (c_evens != MPI_COMM_NULL) MPI_Comm_free(&c_evens);
    MPI_Info_free(&hints);
    MPI_Info_free(&hw);
    MPI_Group_free(&world);
    MPI_Group_free(&g_rev_evens);
    MPI_Group_free(&g_odds);
    MPI_Group_free(&cg_group);
    MPI_Finalize();
    printf("comms ok on rank %d of %d\n", rank, size);
    return 0;
}
