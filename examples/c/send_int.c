/* Point to point with an int: rank 0 sends 1 to rank 1.
 *
 * The tutorial sends a Python int with the lowercase `send` (pickled); in
 * C it is one MPI_INT. Rank 1 prints `On process 1, data is  1`, as the
 * tutorial does. Needs 2 ranks.
 *
 *   shmpicc -o send_int send_int.c && shmrun -n 2 ./send_int
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, size;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        fprintf(stderr, "send_int needs at least 2 ranks, this job has %d: "
                "run it as `shmrun -n 2 ./send_int`\n", size);
        MPI_Finalize();
        return 1;
    }

    if (rank == 0) {
        int idata = 1;
        MPI_Send(&idata, 1, MPI_INT, 1, 0, MPI_COMM_WORLD);
    } else if (rank == 1) {
        int idata;
        MPI_Recv(&idata, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        printf("On process 1, data is  %d\n", idata);
    }

    MPI_Finalize();
    return 0;
}
