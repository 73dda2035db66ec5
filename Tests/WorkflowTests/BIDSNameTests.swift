import Foundation
import Testing
import Workflow

/// BIDS names are parsed entity by entity, never by position; spaces in fMRIPrep's `NAME:res-N` form.
@Suite("BIDS names and spaces")
struct BIDSNameTests {
    @Test("entities, suffix and extension")
    func parse() throws {
        let name = try #require(BIDSName(fileName: "sub-01_ses-2_task-rest_acq-mb4_run-3_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz"))
        #expect(name["sub"] == "01" && name["ses"] == "2" && name["task"] == "rest" && name["acq"] == "mb4" && name["run"] == "3")
        #expect(name["space"] == "MNI152NLin2009cAsym" && name["res"] == "2" && name["desc"] == "preproc")
        #expect(name.suffix == "bold" && name.fileExtension == ".nii.gz")
        #expect(name.description == "sub-01_ses-2_task-rest_acq-mb4_run-3_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz")
        let cifti = try #require(BIDSName(fileName: "sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii"))
        #expect(cifti.fileExtension == ".dtseries.nii" && cifti["den"] == "91k")
    }

    @Test("not BIDS names", arguments: ["sub-01.html", "README", "task-rest_bold.nii.gz", "sub-01_task-re_st_bold.nii.gz",
                                        "sub-01_task-rest_task-other_bold.nii.gz", "sub-0/1_bold.nii", "sub-01_bold-x.nii", ".sub-01_bold.nii"])
    func notBIDS(file: String) {
        #expect(BIDSName(fileName: file) == nil)
    }

    @Test("labels: letters and digits only", arguments: [("01", true), ("ABC9", true), ("..", false), ("a/b", false), ("a-b", false),
                                                        ("a_b", false), ("", false), ("a\u{7}", false), ("é", false)])
    func labels(text: String, valid: Bool) {
        #expect(BIDSName.isLabel(text) == valid)
    }

    @Test("spaces: NAME, NAME:res-N, NAME:N; picking among resolutions")
    func spaces() throws {
        #expect(try Space(parsing: "MNI152NLin2009cAsym:res-2") == Space(name: "MNI152NLin2009cAsym", resolution: "2"))
        #expect(try Space(parsing: "MNI152NLin2009cAsym:1") == Space(name: "MNI152NLin2009cAsym", resolution: "1"))
        #expect(throws: DiscoveryError.self) { try Space(parsing: "MNI/../x") }
        let found: Set<Space> = [Space(name: "MNI152NLin2009cAsym", resolution: "1"), Space(name: "MNI152NLin2009cAsym", resolution: "2"),
                                 Space(name: "T1w")]
        #expect(throws: DiscoveryError.spaceAmbiguous(space: "MNI152NLin2009cAsym", resolutions: ["MNI152NLin2009cAsym:res-1", "MNI152NLin2009cAsym:res-2"])) {
            try Space(name: "MNI152NLin2009cAsym").pick(among: found)
        }
        #expect(try Space(name: "MNI152NLin2009cAsym", resolution: "2").pick(among: found) == Space(name: "MNI152NLin2009cAsym", resolution: "2"))
        #expect(try Space(name: "T1w").pick(among: found) == Space(name: "T1w"))
        #expect(throws: DiscoveryError.spaceNotFound(requested: "MNI152NLin6Asym", available: ["MNI152NLin2009cAsym:res-1", "MNI152NLin2009cAsym:res-2", "T1w"])) {
            try Space(name: "MNI152NLin6Asym").pick(among: found)
        }
    }
}
