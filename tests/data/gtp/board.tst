# board.tst: boardsize, rectangular_boardsize, clear_board, komi, showboard.

10 query_boardsize
#? [9]

11 get_komi
#? [7]

12 boardsize 19
#? []

13 query_boardsize
#? [19]

14 boardsize 26
#? ?[unacceptable size]

15 boardsize 1
#? ?[unacceptable size]

16 boardsize nineteen
#? ?[boardsize not an integer]

# a failed boardsize leaves the size alone
17 query_boardsize
#? [19]

18 rectangular_boardsize 9 13
#? ?[unacceptable size]

19 rectangular_boardsize 13 13
#? []

20 query_boardsize
#? [13]

komi 6.5
21 get_komi
#? [6.5]

22 komi -3.5
#? []

23 get_komi
#? [-3.5]

24 komi ridiculous
#? ?[komi not a float]

25 komi 1000
#? []

komi 7.5
play b d4
play w k10
26 list_stones black
#? [D4]

# boardsize resets the board and keeps komi
boardsize 9
27 list_stones black
#? []

28 get_komi
#? [7.5]

play b e5
play w c3
clear_board
29 list_stones white
#? []

30 get_komi
#? [7.5]

31 undo
#? ?[cannot undo]

# showboard: a diagram on the lines after "= ", no empty line
play b c3
play w g7
32 showboard
#? [
    A B C D E F G H J
  9 \. \. \. \. \. \. \. \. \. 9
  8 \. \. \. \. \. \. \. \. \. 8
  7 \. \. \. \. \. \. O \. \. 7
.*
  3 \. \. X \. \. \. \. \. \. 3
.*
    A B C D E F G H J
captures B 0 W 0, komi 7\.5, black to move]

boardsize 25
33 play b Z25
#? []

34 list_stones b
#? [Z25]

boardsize 2
35 play b a1
#? []
