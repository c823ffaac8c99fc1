/* Broadcast of a buffer: rank 0 broadcasts the length, then the array.
 *
 * The tutorial broadcasts the length with `bcast`, then
 * `comm.Bcast(data, root=0)` of np.linspace(0.0, 3.14, 10). In C: one int,
 * then the MPI_DOUBLEs. Every rank prints what it has; the array with %g
 * between brackets rather than in numpy's padded columns:
 *
 *   Rank:  1 , data received:  [0 0.348889 0.697778 ... 2.79111 3.14]
 *
 *   shmpicc -o bcast_array bcast_array.c && shmrun -n 4 ./bcast_array
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static void linspace(double *x, double start, double stop, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = n == 1 ? start : start + (stop - start) * i / (n - 1);
    if (n > 1)
        x[n - 1] = stop;
}

static void print_array(const char *label, int rank, const double *x, int n)
{
    printf("Rank:  %d , %s[", rank, label);
    for (int i = 0; i < n; i++)
        printf(i ? " %g" : "%g", x[i]);
    printf("]\n");
}

int main(int argc, char **argv)
{
    int rank, num_data = 0;
    double *data = NULL;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);

    if (rank == 0) {
        /* In real code rank 0 might read these from a file. */
        num_data = 10;
        data = malloc(num_data * sizeof *data);
        linspace(data, 0.0, 3.14, num_data);
    }
    MPI_Bcast(&num_data, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank != 0)
        data = malloc(num_data * sizeof *data);
    MPI_Bcast(data, num_data, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    print_array("data received:  ", rank, data, num_data);
    free(data);

    MPI_Finalize();
    return 0;
}
