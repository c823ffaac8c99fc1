/* Broadcast of an "object": rank 0's record reaches every rank.
 *
 * The tutorial broadcasts the dict {'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}
 * with the lowercase `bcast` (pickled). In C the dict is a struct of an int
 * array and two strings, broadcast as its bytes (MPI_BYTE; every rank runs
 * the same program, so the layout agrees). Every rank prints it in the
 * tutorial's form:
 *
 *   Rank:  2 , data:  {'key1': [1, 2, 3], 'key2': ('abc', 'xyz')}
 *
 *   shmpicc -o bcast_object bcast_object.c && shmrun -n 4 ./bcast_object
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

struct data {
    int key1[3];
    char key2[2][4];
};

int main(int argc, char **argv)
{
    int rank;
    struct data data;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);

    memset(&data, 0, sizeof data);
    if (rank == 0) {
        struct data root = { { 1, 2, 3 }, { "abc", "xyz" } };
        data = root;
    }
    MPI_Bcast(&data, (int)sizeof data, MPI_BYTE, 0, MPI_COMM_WORLD);
    printf("Rank:  %d , data:  {'key1': [%d, %d, %d], 'key2': ('%s', '%s')}\n",
           rank, data.key1[0], data.key1[1], data.key1[2], data.key2[0],
           data.key2[1]);

    MPI_Finalize();
    return 0;
}
