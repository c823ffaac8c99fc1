/* Point to point with a buffer: rank 0 sends the count, then the array.
 *
 * The tutorial sends the count with `send`, then
 * `comm.Send(np.linspace(0.0, 3.14, 10), dest=1)`; rank 1 allocates
 * `np.empty(n, dtype='d')` and receives into it with `Recv`. In C: an int,
 * then n MPI_DOUBLEs into a malloc'd array. Rank 1 prints the tutorial's two
 * lines; the array is printed with %g between brackets rather than in
 * numpy's padded columns:
 *
 *   Number of data to receive:  10
 *   data received:  [0 0.348889 0.697778 1.04667 ... 2.79111 3.14]
 *
 * Needs 2 ranks.
 *
 *   shmpicc -o send_array send_array.c && shmrun -n 2 ./send_array
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

/* numpy's linspace: n values from start to stop, both included. */
static void linspace(double *x, double start, double stop, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = n == 1 ? start : start + (stop - start) * i / (n - 1);
    if (n > 1)
        x[n - 1] = stop;
}

static void print_array(const char *label, const double *x, int n)
{
    printf("%s[", label);
    for (int i = 0; i < n; i++)
        printf(i ? " %g" : "%g", x[i]);
    printf("]\n");
}

int main(int argc, char **argv)
{
    int rank, size;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        fprintf(stderr, "send_array needs at least 2 ranks, this job has %d: "
                "run it as `shmrun -n 2 ./send_array`\n", size);
        MPI_Finalize();
        return 1;
    }

    if (rank == 0) {
        /* In real code this might come from a file. */
        int num_data = 10;
        double data[10];
        linspace(data, 0.0, 3.14, num_data);
        MPI_Send(&num_data, 1, MPI_INT, 1, 0, MPI_COMM_WORLD);
        MPI_Send(data, num_data, MPI_DOUBLE, 1, 0, MPI_COMM_WORLD);
    } else if (rank == 1) {
        int num_data;
        MPI_Recv(&num_data, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        printf("Number of data to receive:  %d\n", num_data);
        double *data = malloc(num_data * sizeof *data);
        MPI_Recv(data, num_data, MPI_DOUBLE, 0, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        print_array("data received:  ", data, num_data);
        free(data);
    }

    MPI_Finalize();
    return 0;
}
