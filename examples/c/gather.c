/* Gather: every rank's 10 doubles are collected on rank 0.
 *
 * The inverse of scatter: rank r holds linspace(10r+1, 10r+10, 10) and
 * `comm.Gather(sendbuf, recvbuf, root=0)` puts all size*10 values on rank 0.
 * Every rank prints its send buffer, and rank 0 what it received; arrays
 * with %g between brackets, on one line, rather than numpy's wrapped
 * columns:
 *
 *   Rank:  0 , sendbuf:  [1 2 3 4 5 6 7 8 9 10]
 *   Rank:  0 , recvbuf received:  [1 2 3 ... 39 40]
 *
 *   shmpicc -o gather gather.c && shmrun -n 4 ./gather
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define NUM_DATA_PER_RANK 10

static void print_array(int rank, const char *label, const double *x, int n)
{
    printf("Rank:  %d , %s[", rank, label);
    for (int i = 0; i < n; i++)
        printf(i ? " %g" : "%g", x[i]);
    printf("]\n");
}

int main(int argc, char **argv)
{
    int rank, size;
    double sendbuf[NUM_DATA_PER_RANK];
    double *recvbuf = NULL;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (int i = 0; i < NUM_DATA_PER_RANK; i++)
        sendbuf[i] = rank * NUM_DATA_PER_RANK + i + 1;
    print_array(rank, "sendbuf:  ", sendbuf, NUM_DATA_PER_RANK);

    /* Only the root receives. */
    if (rank == 0)
        recvbuf = malloc(size * NUM_DATA_PER_RANK * sizeof *recvbuf);
    MPI_Gather(sendbuf, NUM_DATA_PER_RANK, MPI_DOUBLE, recvbuf, NUM_DATA_PER_RANK,
               MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (rank == 0)
        print_array(rank, "recvbuf received:  ", recvbuf, size * NUM_DATA_PER_RANK);
    free(recvbuf);

    MPI_Finalize();
    return 0;
}
