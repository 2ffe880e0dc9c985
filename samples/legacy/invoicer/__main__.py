from invoicer.cli import main

raise SystemExit(main())
