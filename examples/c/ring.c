/* A token passed around all ranks: rank 0 starts it, every rank adds its
 * rank and passes it on, and rank 0 prints what came back (as ../ring.rs).
 *
 *   shmpicc -o ring ring.c && shmrun -n 4 ./ring
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, size;
    long long token = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int next = (rank + 1) % size, prev = (rank + size - 1) % size;

    if (rank == 0) {
        MPI_Send(&token, 1, MPI_LONG_LONG, next, 0, MPI_COMM_WORLD);
        MPI_Recv(&token, 1, MPI_LONG_LONG, prev, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        printf("Rank 0 received the token back from rank %d: %lld (sum of ranks %d)\n",
               prev, token, size * (size - 1) / 2);
    } else {
        MPI_Recv(&token, 1, MPI_LONG_LONG, prev, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        printf("Rank %d received the token %lld from rank %d\n", rank, token, prev);
        token += rank;
        MPI_Send(&token, 1, MPI_LONG_LONG, next, 0, MPI_COMM_WORLD);
    }

    MPI_Finalize();
    return 0;
}
