/* Reduce: the ranks' values summed, and their maximum, on rank 0.
 *
 * The tutorial's ranks each hold np.array(rank, 'd') and call
 * `comm.Reduce(value, value_sum, op=MPI.SUM, root=0)`, then the same with
 * MPI.MAX. In C: one MPI_DOUBLE each. The lines are the tutorial's, with
 * the values printed as Python prints these whole floats (`6.0`):
 *
 *    Rank:  0  value =  0.0
 *    Rank 0: value_sum =     6.0
 *    Rank 0: value_max =     3.0
 *
 *   shmpicc -o reduce reduce.c && shmrun -n 4 ./reduce
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank;
    double value, value_sum = 0.0, value_max = 0.0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);

    value = rank;
    printf(" Rank:  %d  value =  %.1f\n", rank, value);
    MPI_Reduce(&value, &value_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(&value, &value_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        printf(" Rank 0: value_sum =     %.1f\n", value_sum);
        printf(" Rank 0: value_max =     %.1f\n", value_max);
    }

    MPI_Finalize();
    return 0;
}
