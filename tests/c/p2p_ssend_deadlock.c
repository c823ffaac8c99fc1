/* A synchronous send whose receiver never receives it blocks: rank 0
 * Ssends with tag 0 while rank 1 waits for tag 1. shmpi must report the
 * deadlock naming the send (a standard send would complete at once). */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv) {
    int rank, x = 5;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
        MPI_Ssend(&x, 1, MPI_INT, 1, 0, MPI_COMM_WORLD);
        printf("Ssend completed without a receive\n");
    } else if (rank == 1) {
        MPI_Recv(&x, 1, MPI_INT, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    MPI_Finalize();
    return 0;
}
