/* Scatter: rank 0 deals out 10 doubles to every rank.
 *
 * The tutorial's root builds np.linspace(1, size*10, size*10) and
 * `comm.Scatter(data, recvbuf, root=0)` gives rank r the values 10r+1 ...
 * 10r+10. Each rank prints its part; the array with %g between brackets
 * rather than numpy's `[ 1.  2. ...]`:
 *
 *   Rank:  1 , recvbuf received:  [11 12 13 14 15 16 17 18 19 20]
 *
 *   shmpicc -o scatter scatter.c && shmrun -n 4 ./scatter
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define NUM_DATA_PER_RANK 10

int main(int argc, char **argv)
{
    int rank, size;
    double *data = NULL;
    double recvbuf[NUM_DATA_PER_RANK];

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* Only the root's send buffer is read. */
    if (rank == 0) {
        int n = size * NUM_DATA_PER_RANK;
        data = malloc(n * sizeof *data);
        for (int i = 0; i < n; i++)
            data[i] = i + 1;
    }
    MPI_Scatter(data, NUM_DATA_PER_RANK, MPI_DOUBLE, recvbuf, NUM_DATA_PER_RANK,
                MPI_DOUBLE, 0, MPI_COMM_WORLD);
    printf("Rank:  %d , recvbuf received:  [", rank);
    for (int i = 0; i < NUM_DATA_PER_RANK; i++)
        printf(i ? " %g" : "%g", recvbuf[i]);
    printf("]\n");
    free(data);

    MPI_Finalize();
    return 0;
}
