/* Errors tied to no object (a bad group, type, info or request handle, an
 * unsupported function): with only MPI_COMM_WORLD set to
 * MPI_ERRORS_RETURN (MPI-3 style, as MPICH 4.0 honours) they are returned;
 * once MPI_COMM_SELF has a handler of its own (MPI-4 style), that handler
 * gets them: here a user handler that counts its calls. */
#include <mpi.h>
#include <stdio.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: check failed at line %d: %s\n", rank, __LINE__, #c); MPI_Abort(MPI_COMM_WORLD, 1); } } while (0)

static int rank, calls = 0;
static MPI_Comm seen = MPI_COMM_NULL;

static void count(MPI_Comm *comm, int *code, ...) {
    (void)code;
    seen = *comm;
    calls++;
}

static int cls(int err) {
    int c;
    MPI_Error_class(err, &c);
    return c;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

    MPI_Group g = (MPI_Group)0x12345;
    int n;
    CHECK(cls(MPI_Group_size(g, &n)) == MPI_ERR_GROUP);
    MPI_Datatype t = MPI_DATATYPE_NULL;
    CHECK(cls(MPI_Type_commit(&t)) == MPI_ERR_TYPE);
    MPI_Info info = MPI_INFO_NULL;
    CHECK(cls(MPI_Info_free(&info)) == MPI_ERR_INFO);
    CHECK(cls(MPI_Win_free(NULL)) == MPI_ERR_UNSUPPORTED_OPERATION);
    int x = 0;
    CHECK(cls(MPI_Send(&x, 1, MPI_INT, 0, 0, MPI_COMM_NULL)) == MPI_ERR_COMM);

    MPI_Errhandler eh;
    MPI_Comm_create_errhandler(count, &eh);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, eh);
    CHECK(cls(MPI_Group_size(g, &n)) == MPI_ERR_GROUP);
    CHECK(calls == 1 && seen == MPI_COMM_SELF);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_ARE_FATAL);
    MPI_Errhandler_free(&eh);

    if (rank == 0) printf("errors_no_object ok on %d\n", rank);
    MPI_Finalize();
    return 0;
}
