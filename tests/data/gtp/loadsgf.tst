# loadsgf.tst: loading SGF files (paths relative to this file): size, komi, setup,
# the main line up to (not including) a move number, the colour to move, failures
# leaving the game unchanged.

play b a1
10 loadsgf game1.sgf
#? [black]

11 list_stones b
#? [G7 E5 G3]

12 list_stones w
#? [C7 C3]

13 get_komi
#? [6.5]

14 query_boardsize
#? [9]

# the moves are history: they can be undone (the last one was a pass)
15 undo
#? []

16 undo
#? []

17 list_stones b
#? [E5 G3]

18 loadsgf game1.sgf 3
#? [black]

19 list_stones b
#? [E5]

20 list_stones w
#? [C7]

21 loadsgf game1.sgf 2
#? [white]

22 list_stones w
#? []

23 loadsgf game1.sgf 1
#? [black]

24 list_stones b
#? []

25 undo
#? ?[cannot undo]

26 loadsgf game1.sgf 100
#? [black]

27 list_stones w
#? [C7 C3]

# no KM in the file: komi is kept; setup stones are not undoable
komi 5.5
28 loadsgf setup13.sgf
#? [white]

29 query_boardsize
#? [13]

30 get_komi
#? [5.5]

31 list_stones b
#? [K10 D4 K4]

32 list_stones w
#? [D10]

undo
33 undo
#? []

34 undo
#? ?[cannot undo]

35 list_stones b
#? [K10 D4]

36 loadsgf setup13.sgf 1
#? [white]

# failures: the current game stays as it was
play b g7
37 loadsgf illegal.sgf
#? ?[cannot load file]

38 loadsgf bad.sgf
#? ?[cannot load file]

39 loadsgf no-such-file.sgf
#? ?[cannot load file]

40 loadsgf size30.sgf
#? ?[cannot load file]

41 query_boardsize
#? [13]

42 list_stones b
#? [K10 G7 D4]

43 get_komi
#? [5.5]

44 loadsgf game1.sgf three
#? ?[move number not an integer]

# genmove continues a loaded game
45 loadsgf game1.sgf
#? [black]

46 genmove b
#? [!(G7|E5|G3|C7|C3|pass|resign)]
