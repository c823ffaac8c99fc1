/* The trivial program of the start-up figures: init, one barrier,
 * finalize, and nothing printed (as ../hello.rs).
 *
 *   shmpicc -o hello hello.c && time shmrun -n 8 ./hello
 */
#include <mpi.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
