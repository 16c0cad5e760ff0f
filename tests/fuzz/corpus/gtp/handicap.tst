# handicap.tst: fixed_handicap (GNU Go's layouts, answers taken from gnugo 3.8 on the
# same commands), place_free_handicap, set_free_handicap; none of them undoable.

boardsize 9
10 fixed_handicap 2
#? [G7 C3]

boardsize 9
11 fixed_handicap 3
#? [C7 G7 C3]

boardsize 9
12 fixed_handicap 4
#? [C7 G7 C3 G3]

boardsize 9
13 fixed_handicap 5
#? [C7 G7 E5 C3 G3]

boardsize 9
14 fixed_handicap 6
#? [C7 G7 C5 G5 C3 G3]

boardsize 9
15 fixed_handicap 7
#? [C7 G7 C5 E5 G5 C3 G3]

boardsize 9
16 fixed_handicap 8
#? [C7 E7 G7 C5 G5 C3 E3 G3]

boardsize 9
17 fixed_handicap 9
#? [C7 E7 G7 C5 E5 G5 C3 E3 G3]

boardsize 19
18 fixed_handicap 2
#? [Q16 D4]

boardsize 19
19 fixed_handicap 3
#? [D16 Q16 D4]

boardsize 19
20 fixed_handicap 4
#? [D16 Q16 D4 Q4]

boardsize 19
21 fixed_handicap 5
#? [D16 Q16 K10 D4 Q4]

boardsize 19
22 fixed_handicap 6
#? [D16 Q16 D10 Q10 D4 Q4]

boardsize 19
23 fixed_handicap 7
#? [D16 Q16 D10 K10 Q10 D4 Q4]

boardsize 19
24 fixed_handicap 8
#? [D16 K16 Q16 D10 Q10 D4 K4 Q4]

boardsize 19
25 fixed_handicap 9
#? [D16 K16 Q16 D10 K10 Q10 D4 K4 Q4]

boardsize 13
26 fixed_handicap 4
#? [D10 K10 D4 K4]

boardsize 13
27 fixed_handicap 5
#? [D10 K10 G7 D4 K4]

boardsize 7
28 fixed_handicap 4
#? [C5 E5 C3 E3]

boardsize 7
29 fixed_handicap 5
#? ?[invalid number of stones]

boardsize 8
30 fixed_handicap 4
#? [C6 F6 C3 F3]

boardsize 8
31 fixed_handicap 5
#? ?[invalid number of stones]

boardsize 6
32 fixed_handicap 2
#? ?[invalid number of stones]

boardsize 9
33 fixed_handicap 10
#? ?[invalid number of stones]

34 fixed_handicap 1
#? ?[invalid number of stones]

# handicap stones are setup, not moves: undo cannot remove them, white moves next
fixed_handicap 4
35 undo
#? ?[cannot undo]

36 list_stones black
#? [C7 G7 C3 G3]

37 fixed_handicap 2
#? ?[board not empty]

38 genmove w
#? [[A-HJ][1-9]]

39 undo
#? []

40 undo
#? ?[cannot undo]

# set_free_handicap: the controller's points, all or nothing
clear_board
41 set_free_handicap e5
#? ?[bad vertex list]

42 set_free_handicap e5 e5
#? ?[bad vertex list]

43 set_free_handicap e5 pass
#? ?[bad vertex list]

44 set_free_handicap e5 k3
#? ?[bad vertex list]

45 list_stones black
#? []

46 set_free_handicap a1 e5 J9
#? []

47 list_stones black
#? [J9 E5 A1]

48 undo
#? ?[cannot undo]

49 set_free_handicap c3 g7
#? ?[board not empty]

# place_free_handicap: GNU Go's layout up to 9, then the player's choice
clear_board
50 place_free_handicap 3
#? [C7 G7 C3]

51 place_free_handicap 2
#? ?[board not empty]

clear_board
52 place_free_handicap 1
#? ?[invalid number of stones]

53 place_free_handicap 81
#? ?[invalid number of stones]

54 place_free_handicap 11
#? [.*C7 .*E7 .*G7 .*C5 .*E5 .*G5 .*C3 .*E3 .*G3.*]

55 list_stones black
#? [(([A-HJ][1-9]) ){10}[A-HJ][1-9]]

56 undo
#? ?[cannot undo]

# small boards have no fixed layout: every stone is the player's choice
boardsize 5
57 place_free_handicap 3
#? [[A-E][1-5] [A-E][1-5] [A-E][1-5]]
