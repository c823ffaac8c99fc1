/* Communicator and rank: every rank prints its rank in MPI_COMM_WORLD.
 *
 * The tutorial's `comm = MPI.COMM_WORLD; rank = comm.Get_rank();
 * print('My rank is ', rank)`; prints the same line, e.g. `My rank is  0`
 * (two spaces: Python's print joins the trailing space and its separator).
 *
 *   shmpicc -o rank rank.c && shmrun -n 4 ./rank
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    printf("My rank is  %d\n", rank);
    MPI_Finalize();
    return 0;
}
